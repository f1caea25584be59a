import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pictureDicts } from "./helpers/make-pdf-chains.js";
import { pdfWithJpxImage } from "./helpers/make-pdf.js";
import { commentSegment } from "./helpers/j2k-segments.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * A JPEG 2000 picture in a PDF (`/Filter /JPXDecode`) carries the comment segments (COM) of its
 * codestream: OpenJPEG writes its name and version in every one, `opj_compress -C` any text. In a
 * bare codestream ExifTool's read of the PDF finds those of the main header and of the first
 * tile-part header, and the verification refused the file ("could not be removed completely":
 * pdf.js' bug_jpx.pdf); in a JP2 file it does not read them and they came back in the copy.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Jpxcom${crypto.randomBytes(6).toString("hex")}`;
const SOT = Buffer.from([0xff, 0x90]);
const TLM = Buffer.from([0xff, 0x55]);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-jpx-com-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * `codestream` with `extra` put at the end of the header of its `index`th tile-part (starting at
 * `sot`), whose length (Psot) grows by it, and so does its entry in the main header's tile-part
 * lengths (TLM) where there is one.
 */
function withTileComment(codestream: Buffer, sot: number, index: number, extra: Buffer): Buffer {
  const headerEnd = sot + 12;
  const out = Buffer.concat([codestream.subarray(0, headerEnd), extra, codestream.subarray(headerEnd)]);
  out.writeUInt32BE(out.readUInt32BE(sot + 6) + extra.length, sot + 6);
  const tlm = out.subarray(0, sot).indexOf(TLM);
  if (tlm >= 0) {
    const stlm = out[tlm + 5]!;
    const long = (stlm & 0x40) !== 0;
    const entry = tlm + 6 + index * (((stlm >> 4) & 3) + (long ? 4 : 2)) + ((stlm >> 4) & 3);
    if (long) out.writeUInt32BE(out.readUInt32BE(entry) + extra.length, entry);
    else out.writeUInt16BE(out.readUInt16BE(entry) + extra.length, entry);
  }
  return out;
}

/**
 * A 32x32 gradient in four tiles written by OpenJPEG (`ext`: j2k for a bare codestream, jp2 for
 * a JP2 file) with the marker as its main header's comment beside OpenJPEG's own; a bare
 * codestream also gets one in its first tile-part's header and one in its second's.
 */
async function commentedPicture(ext: "j2k" | "jp2", extraArgs: string[] = []): Promise<Buffer> {
  const ppm = path.join(dir, "gradient.ppm");
  await run(CONVERT, ["-size", "32x32", "gradient:#ff2000-#0030ff", "-depth", "8", ppm]);
  const made = path.join(dir, `made-${crypto.randomUUID()}.${ext}`);
  await run("/usr/bin/opj_compress", ["-i", ppm, "-o", made, "-t", "16,16", "-n", "3", "-C", `main ${MARKER}`, ...extraArgs]);
  const bytes = await fs.readFile(made);
  if (ext === "jp2") return bytes;
  const first = bytes.indexOf(SOT);
  const once = withTileComment(bytes, first, 0, commentSegment(`first tile ${MARKER}`));
  return withTileComment(once, first + once.readUInt32BE(first + 6), 1, commentSegment(`second tile ${MARKER}`));
}

/** The page drawn at one pixel per picture pixel (8 points square at 288 dpi: 32 pixels), as PPM bytes: the picture decoded, not a blank page. */
async function rendering(file: string): Promise<Buffer> {
  const ppm = (await run("pdftoppm", ["-r", "288", file])).stdout;
  expect(new Set(ppm.subarray(-32 * 32 * 3)).size).toBeGreaterThan(16);
  return ppm;
}

/** Filters before the JPX, and the bytes as they write them (PDF 32000-1, 7.4). */
interface JpxChain {
  filter: string;
  encode(data: Buffer): Buffer;
}

const BEHIND_FLATE: JpxChain = { filter: "[/FlateDecode /JPXDecode]", encode: (d) => zlib.deflateSync(d) };
const BEHIND_HEX_AND_FLATE: JpxChain = {
  filter: "[/ASCIIHexDecode /FlateDecode /JPXDecode]",
  encode: (d) => Buffer.from(`${zlib.deflateSync(d).toString("hex")}>`, "latin1"),
};

async function removeJpxPdf(name: string, picture: Buffer, stored?: JpxChain): Promise<{ file: string; out: string; body: Record<string, unknown> }> {
  const file = path.join(dir, `${name}.pdf`);
  await fs.writeFile(file, pdfWithJpxImage("JpxAuthor", picture, 32, stored));
  // The marker in the PDF as stored (inside a zlib stream too), or behind filters findMarker does not undo, in the picture.
  expect(await findMarker(stored === BEHIND_HEX_AND_FLATE ? picture : file, MARKER)).not.toEqual([]);
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  const out = path.join(dir, `cleaned-${name}.pdf`);
  await fs.writeFile(out, cleaned!);
  return { file, out, body };
}

describe("POST /api/v1/remove on a PDF whose JPEG 2000 picture holds comments", () => {
  it("a bare codestream: the comments of its main header and tile-part headers go, the page draws the same", async () => {
    const picture = await commentedPicture("j2k");
    const bare = path.join(dir, "bare.j2k");
    await fs.writeFile(bare, picture);
    // ExifTool reads the comments of the main header and of the first tile-part's header.
    expect(await exiftool(["-a", "-s3", "-Comment", bare])).toContain(`first tile ${MARKER}`);
    const { file, out, body } = await removeJpxPdf("bare", picture);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).includes("OpenJPEG")).toBe(false);
    expect((await exiftool(["-a", "-ee", "-s3", "-Comment", out])).trim()).toBe("");
    expect((await rendering(out)).equals(await rendering(file))).toBe(true);
  });

  it("a bare codestream listing its tile-part lengths (TLM), which a cut tile-part comment would make wrong: refused as the codestream alone is", async () => {
    const picture = await commentedPicture("j2k", ["-TLM"]);
    expect(picture.includes(TLM)).toBe(true);
    const file = path.join(dir, "tlm.pdf");
    await fs.writeFile(file, pdfWithJpxImage("JpxAuthor", picture, 32));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The JPEG 2000 codestream's tile-part comments cannot be removed without breaking its index of tile-parts.");
    expect(cleaned).toBeNull();
  });

  it("a JP2 file: its comments are blanked, the page draws the same", async () => {
    const { file, out, body } = await removeJpxPdf("jp2", await commentedPicture("jp2"));
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).includes("OpenJPEG")).toBe(false);
    expect((await rendering(out)).equals(await rendering(file))).toBe(true);
  });

  it("a JP2 file with XMP, an XML box and a URL box (as Photoshop and Kakadu write them): they go with its comments, the page draws the same", async () => {
    const jp2 = path.join(dir, `boxes-${crypto.randomUUID()}.jp2`);
    await fs.writeFile(jp2, await commentedPicture("jp2"));
    await exiftool(["-q", "-overwrite_original", `-XMP-dc:Creator=${MARKER}`, `-XMP-xmp:CreatorTool=${MARKER} Photoshop`, jp2]);
    const box = (type: string, payload: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from(type, "latin1"), payload]);
    const sized = (b: Buffer): Buffer => (b.writeUInt32BE(b.length, 0), b);
    const xml = sized(box("xml ", Buffer.from(`<note>${MARKER} scan</note>`, "utf8")));
    const url = sized(box("url ", Buffer.concat([Buffer.alloc(4), Buffer.from(`https://example.com/${MARKER}\0`, "utf8")])));
    const picture = Buffer.concat([await fs.readFile(jp2), xml, url]);
    const { file, out, body } = await removeJpxPdf("boxes", picture);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await rendering(out)).equals(await rendering(file))).toBe(true);
  });

  it("a bare codestream behind Flate ([/FlateDecode /JPXDecode]): its comments go, it is stored deflated as before, the page draws the same", async () => {
    const picture = await commentedPicture("j2k");
    const { file, out, body } = await removeJpxPdf("flate-bare", picture, BEHIND_FLATE);
    expect(body["remaining"]).toEqual({});
    // findMarker looks inside every zlib stream too.
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await findMarker(out, "OpenJPEG")).toEqual([]);
    expect((await exiftool(["-a", "-ee", "-s3", "-Comment", out])).trim()).toBe("");
    expect((await pictureDicts(out)).map((d) => d["/Filter"])).toEqual([["/FlateDecode", "/JPXDecode"]]);
    expect((await rendering(out)).equals(await rendering(file))).toBe(true);
  });

  it("a JP2 file behind Flate: its comments are blanked, it is stored deflated as before, the page draws the same", async () => {
    const { file, out, body } = await removeJpxPdf("flate-jp2", await commentedPicture("jp2"), BEHIND_FLATE);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await findMarker(out, "OpenJPEG")).toEqual([]);
    expect((await pictureDicts(out)).map((d) => d["/Filter"])).toEqual([["/FlateDecode", "/JPXDecode"]]);
    expect((await rendering(out)).equals(await rendering(file))).toBe(true);
  });

  it("a bare codestream behind ASCIIHex and Flate: its comments go, it is stored as the codestream itself (/JPXDecode), the page draws the same", async () => {
    const { file, out, body } = await removeJpxPdf("hex-flate-bare", await commentedPicture("j2k"), BEHIND_HEX_AND_FLATE);
    expect(body["remaining"]).toEqual({});
    // Stored bare, the codestream is in the bytes findMarker reads.
    expect((await pictureDicts(out)).map((d) => d["/Filter"])).toEqual(["/JPXDecode"]);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await findMarker(out, "OpenJPEG")).toEqual([]);
    expect((await rendering(out)).equals(await rendering(file))).toBe(true);
  });
});
