import { describe, expect, it } from "vitest";
import { blankUserData, decoderPart, unitsWithText } from "../src/cleaners/media/mpeg4-user-data.js";

/** A stream piece: a VOL-like header, one user_data unit holding `text`, then a picture start code. */
function stream(text: string): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0, 1, 0x20, 0x08, 0xc8]),
    Buffer.from([0, 0, 1, 0xb2]),
    Buffer.from(text, "latin1"),
    Buffer.from([0, 0, 1, 0xb6, 0x10, 0x20]),
  ]);
}

function cleaned(text: string, tag = ""): string {
  const buf = stream(text);
  blankUserData(buf, tag);
  expect(buf.length).toBe(stream(text).length);
  expect(unitsWithText(buf, tag)).toBe(0);
  return buf.subarray(10, 10 + text.length).toString("latin1").replace(/\xff/g, "_");
}

// What ffmpeg's decode_user_data (libavcodec/mpeg4videodec.c) reads, and so what must stay.
describe("the part of a user_data unit decoders act on", () => {
  it("keeps DivX's version, build and packed-frames flag, and nothing after them", () => {
    expect(cleaned("DivX503b1393p by someone")).toBe("DivX503b1393p___________");
    expect(cleaned("DivX503b1393")).toBe("DivX503b1393");
    expect(cleaned("DivX501Build2525p")).toBe("DivX501Build2525p");
  });

  it("keeps Xvid's build, blanks what follows", () => {
    expect(cleaned("XviD0069 encoded by Ann")).toBe("XviD0069_______________");
  });

  it("blanks a current libavcodec's name whole, unless the fourcc would make decoders assume Xvid or DivX without it", () => {
    expect(cleaned("Lavc59.37.100")).toBe("_____________");
    expect(cleaned("Lavc58.134.100")).toBe("______________");
    expect(cleaned("Lavc59.37.100", "FMP4")).toBe("_____________");
    expect(cleaned("Lavc59.37.100", "XVID")).toBe("Lavc59.37.100");
    expect(cleaned("Lavc59.37.100", "divx")).toBe("Lavc59.37.100");
  });

  it("keeps libavcodec builds ffmpeg works around (old ones, and 55.67-57.64 with its edge bug)", () => {
    expect(cleaned("FFmpeg0.4.9-pre1b4718")).toBe("FFmpeg0.4.9-pre1b4718");
    expect(cleaned("Lavc56.60.100")).toBe("Lavc56.60.100");
    expect(cleaned("Lavc57.107.100")).toBe("______________");
    expect(cleaned("ffmpeg")).toBe("ffmpeg");
  });

  it("blanks any other text, and a look-alike that decoders would not parse", () => {
    expect(cleaned("Camera serial 12345")).toBe("___________________");
    expect(cleaned("XviD by Bob")).toBe("___________");
    expect(cleaned("Lavc59")).toBe("______");
  });

  it("leaves units too short to name anything, and reads no unit past a start code", () => {
    expect(cleaned("ab")).toBe("ab");
    const buf = Buffer.concat([stream("Secret one"), Buffer.from([0, 0, 1, 0xb2]), Buffer.from("tail without end", "latin1")]);
    expect(unitsWithText(buf, "")).toBe(2);
    expect(blankUserData(buf, "")).toBe(2);
    expect(buf.includes("Secret")).toBe(false);
    expect(buf.includes("tail")).toBe(false);
    expect(buf.includes(Buffer.from([0, 0, 1, 0xb6]))).toBe(true);
  });

  it("decoderPart reads no further than ffmpeg's 255-byte buffer", () => {
    expect(decoderPart(Buffer.from(`${"x".repeat(300)}`), "")).toBe(0);
    expect(decoderPart(Buffer.from("XviD12\0more"), "")).toBe(6);
  });
});
