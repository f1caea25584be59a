import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box, boxes } from "./helpers/make-formats.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

/*
 * Boxes a JPX keeps whole were room for anything: the file type box's compatibility list (any
 * four-byte entries), a colour specification by a vendor's method (a UUID and parameters only that
 * vendor reads), and bytes after the fields of a compositing layer's opacity box and of a
 * composition's instruction set. A marker planted there came back in the clean copy. So did one
 * after a chroma key's values, after a colour given by H.273's code points (method 5), in
 * instructions past the file's compositing layers, in the reader requirements' vendor features
 * (16-byte UUIDs) and in palette entries past what the index component can reach.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Jpxfield${crypto.randomBytes(6).toString("hex")}`;
/** The marker as text, four-byte aligned so that it can stand as compatibility list entries. */
const text = Buffer.concat([Buffer.from(` ${MARKER} `), Buffer.from(MARKER, "utf16le")]);
const aligned = Buffer.concat([text, Buffer.alloc((4 - (text.length % 4)) % 4, 0x20)]);
/** A marker that fits a vendor feature's 16-byte UUID, where no longer one stands in one piece. */
const UUID_MARKER = `Vendor${crypto.randomBytes(5).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jp2-fields-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A colour specification by a vendor's method (4): its UUID, then the marker as its parameters. */
const vendorColour = box("colr", Buffer.concat([Buffer.from([4, 0, 0]), Buffer.alloc(16, 0x5a), text]));

/** An instruction set (type 0x27: offset, size, life and crop fields, 40 bytes) of one instruction, with the marker after it: less than an instruction, or two whole ones. */
function instructions(marked: "" | "part" | "whole"): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x27, 0);
  const instruction = Buffer.alloc(40);
  instruction.writeUInt32BE(64, 8); // width
  instruction.writeUInt32BE(48, 12); // height
  instruction.writeUInt32BE(64, 32); // crop width
  instruction.writeUInt32BE(48, 36); // crop height
  const after = { "": Buffer.alloc(0), part: text.subarray(0, 39), whole: Buffer.concat([text, Buffer.alloc(80 - text.length, 0x20)]) }[marked];
  return box("inst", Buffer.concat([head, instruction, after]));
}

/** The composition's options: height, width, loop count. */
function options(): Buffer {
  const copt = Buffer.alloc(9);
  copt.writeUInt32BE(48, 0);
  copt.writeUInt32BE(64, 4);
  return box("copt", copt);
}

type Place =
  | "compatibility list"
  | "vendor colour beside a colour by number"
  | "vendor colour alone"
  | "opacity"
  | "instructions"
  | "chroma key"
  | "colour by code points"
  | "instructions past the layers"
  | "vendor features";

/** Reader requirements: 1-byte masks, one standard feature (5: no opacity), and `vendors` vendor features' UUIDs. */
function requirements(vendors: Buffer): Buffer {
  const count = Buffer.alloc(2);
  count.writeUInt16BE(vendors.length / 16);
  const each = Array.from({ length: vendors.length / 16 }, (_, i) => Buffer.concat([vendors.subarray(16 * i, 16 * i + 16), Buffer.from([0x80])]));
  return box("rreq", Buffer.concat([Buffer.from([1, 0x80, 0x80, 0, 1, 0, 5, 0x80]), count, ...each]));
}

/** The opacity box: opacity in the last channel, or a chroma key of three 8-bit values; the marker after its fields in `place`. */
function opacity(place: Place): Buffer {
  const fields = place === "chroma key" ? Buffer.from([2, 3, 0x10, 0x20, 0x30]) : Buffer.from([0]);
  return box("opct", Buffer.concat([fields, place === "opacity" || place === "chroma key" ? text : Buffer.alloc(0)]));
}

/** A colour by H.273's code points (method 5): BT.709 primaries, sRGB transfer, identity matrix, full range. */
const codePoints = Buffer.from([5, 0, 0, 0, 1, 0, 13, 0, 0, 0x80]);

/**
 * A JPX of openjpeg's codestream, with a compositing layer header (an opacity box) and a
 * composition (options and an instruction set), and the marker in `place`: the compatibility
 * list, a vendor colour specification (before the drawn one, or instead of it), after the opacity
 * type or after the instruction.
 */
async function markedJpx(place: Place): Promise<{ file: string; made: string }> {
  const name = place.replaceAll(" ", "-");
  const png = path.join(dir, `${name}.png`);
  await run(CONVERT, ["-seed", "5", "-size", "64x48", "plasma:fractal", "-depth", "8", png]);
  const made = path.join(dir, `${name}.jp2`);
  await run("/usr/bin/opj_compress", ["-i", png, "-o", made]);
  const drawn = await fs.readFile(made);
  const colour = (c: Buffer): Buffer[] => {
    if (place === "vendor colour alone") return [vendorColour];
    if (place === "vendor colour beside a colour by number") return [vendorColour, c];
    return place === "colour by code points" ? [c, box("colr", Buffer.concat([codePoints, text]))] : [c];
  };
  const parts = boxes(drawn).flatMap(({ type, bytes }) => {
    if (type === "ftyp") {
      const ftyp = box("ftyp", Buffer.concat([Buffer.from("jpx \0\0\0\0jp2 jpx jpxb", "latin1"), place === "compatibility list" ? aligned : Buffer.alloc(0)]));
      return [ftyp, requirements(place === "vendor features" ? Buffer.from(UUID_MARKER.repeat(2)) : Buffer.alloc(0))];
    }
    if (type !== "jp2h") return [bytes];
    const children = boxes(bytes, 8).flatMap((c) => (c.type === "colr" ? colour(c.bytes) : [c.bytes]));
    const inst = instructions(place === "instructions" ? "part" : place === "instructions past the layers" ? "whole" : "");
    return [box("jp2h", Buffer.concat(children)), box("jplh", opacity(place)), box("comp", Buffer.concat([options(), inst]))];
  });
  const file = path.join(dir, `${name}.jpx`);
  await fs.writeFile(file, Buffer.concat(parts));
  return { file, made };
}

/** The picture as openjpeg decodes it. */
async function decoded(file: string): Promise<string> {
  const out = `${file}.png`;
  await run("/usr/bin/opj_decompress", ["-i", file, "-o", out]);
  return pixelSignature(out);
}

describe("POST /api/v1/remove on a JPX with text in boxes it keeps", () => {
  it.each<Place>([
    "compatibility list",
    "vendor colour beside a colour by number",
    "vendor colour alone",
    "opacity",
    "instructions",
    "chroma key",
    "colour by code points",
    "instructions past the layers",
    "vendor features",
  ])(
    "cuts it from the %s; the boxes' fields and the pixels unchanged",
    async (place) => {
      const { file, made } = await markedJpx(place);
      const marker = place === "vendor features" ? UUID_MARKER : MARKER;
      expect((await findMarker(file, marker)).length).toBeGreaterThan(0);
      const pixels = await decoded(file);
      expect(pixels).toBe(await decoded(made));

      const { status, body, cleaned } = await removeViaApi(server, file, "picture.jpx");
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      const out = path.join(dir, `cleaned-${path.basename(file)}`);
      await fs.writeFile(out, cleaned!);
      expect(await findMarker(out, marker)).toEqual([]);
      expect(await decoded(out)).toBe(pixels);
      const top = boxes(cleaned!);
      expect(top.find((b) => b.type === "ftyp")!.bytes.subarray(8).toString("latin1")).toBe("jpx \0\0\0\0jp2 jpx jpxb");
      // The opacity type (and chroma key) and the instruction stay, as drawn.
      const opct = boxes(top.find((b) => b.type === "jplh")!.bytes, 8)[0]!.bytes.subarray(8);
      expect(opct.toString("hex")).toBe(place === "chroma key" ? "0203102030" : "00");
      expect(boxes(top.find((b) => b.type === "comp")!.bytes, 8).map((b) => b.bytes.length)).toEqual([8 + 9, 8 + 8 + 40]);
      // The standard feature stays; the vendor features go with the vendors' boxes.
      expect(top.find((b) => b.type === "rreq")!.bytes.subarray(8).toString("hex")).toBe("0180800001000580" + "0000");
      // The vendor's goes; alone, it becomes sRGB, which openjpeg wrote; code points keep their fields.
      const colours = boxes(top.find((b) => b.type === "jp2h")!.bytes, 8).filter((b) => b.type === "colr");
      const drawnColours = place === "colour by code points" ? ["01000000000010", codePoints.toString("hex")] : ["01000000000010"];
      expect(colours.map((c) => c.bytes.subarray(8).toString("hex"))).toEqual(drawnColours);
    },
  );
});

/** Palette entries (three 8-bit columns) for a 1-component picture: 256 reachable, then `spare` ones no 8-bit index reaches. */
function palette(spare: Buffer): Buffer {
  const reachable = Buffer.alloc(256 * 3);
  for (let i = 0; i < 256; i++) reachable.set([i, 255 - i, (i * 7) & 0xff], 3 * i);
  const head = Buffer.from([0, 0, 3, 7, 7, 7]);
  head.writeUInt16BE(256 + spare.length / 3, 0);
  return box("pclr", Buffer.concat([head, reachable, spare]));
}

describe("POST /api/v1/remove on a JP2 whose palette has entries its index cannot reach", () => {
  it("cuts them (the entry count with them); openjpeg decodes the same pixels through the palette", async () => {
    const png = path.join(dir, "grey.png");
    await run(CONVERT, ["-seed", "7", "-size", "64x48", "plasma:fractal", "-colorspace", "gray", "-depth", "8", png]);
    const made = path.join(dir, "grey.jp2");
    await run("/usr/bin/opj_compress", ["-i", png, "-o", made]);
    const spare = Buffer.concat([aligned, Buffer.alloc(66 - aligned.length, 0x20)]);
    const mapping = box("cmap", Buffer.from([0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 2]));
    const srgb = box("colr", Buffer.from([1, 0, 0, 0, 0, 0, 16]));
    const parts = boxes(await fs.readFile(made)).map(({ type, bytes }) => {
      if (type !== "jp2h") return bytes;
      const ihdr = boxes(bytes, 8).find((c) => c.type === "ihdr")!.bytes;
      return box("jp2h", Buffer.concat([ihdr, srgb, palette(spare), mapping]));
    });
    const file = path.join(dir, "palette.jp2");
    await fs.writeFile(file, Buffer.concat(parts));
    expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);
    const pixels = await decoded(file);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jp2");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-palette.jp2");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(pixels);
    const kept = boxes(boxes(cleaned!).find((b) => b.type === "jp2h")!.bytes, 8).find((b) => b.type === "pclr")!.bytes;
    expect(kept.equals(palette(Buffer.alloc(0)))).toBe(true);
  });
});

/** The payload of the first box of `type` in the JP2 header of `file`. */
function headerBox(file: Buffer, type: string): Buffer {
  return boxes(boxes(file).find((b) => b.type === "jp2h")!.bytes, 8).find((b) => b.type === type)!.bytes.subarray(8);
}

describe("POST /api/v1/remove on a JP2 whose header fields say what the copy no longer holds", () => {
  it("zeroes the image header's IPR flag once the intellectual property box is gone; openjpeg decodes the same pixels", async () => {
    const png = path.join(dir, "ipr.png");
    await run(CONVERT, ["-seed", "9", "-size", "64x48", "plasma:fractal", "-depth", "8", png]);
    const made = path.join(dir, "ipr.jp2");
    await run("/usr/bin/opj_compress", ["-i", png, "-o", made]);
    const parts = boxes(await fs.readFile(made)).flatMap(({ type, bytes }) => {
      if (type !== "jp2h") return [bytes];
      const children = boxes(bytes, 8).map((c) => {
        if (c.type !== "ihdr") return c.bytes;
        const ihdr = Buffer.from(c.bytes);
        ihdr[8 + 13] = 1;
        return ihdr;
      });
      return [box("jp2h", Buffer.concat(children)), box("jp2i", Buffer.from(`<rights>${MARKER}</rights>`))];
    });
    const file = path.join(dir, "ipr-marked.jp2");
    await fs.writeFile(file, Buffer.concat(parts));
    expect(headerBox(await fs.readFile(file), "ihdr")[13]).toBe(1);
    const pixels = await decoded(made);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jp2");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-ipr.jp2");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(boxes(cleaned!).map((b) => b.type)).not.toContain("jp2i");
    expect(headerBox(cleaned!, "ihdr").equals(headerBox(await fs.readFile(made), "ihdr"))).toBe(true);
    expect(await decoded(out)).toBe(pixels);
  });

  it("zeroes the palette column byte of a component mapping's direct-use entry (ISO/IEC 15444-1 I.5.3.5 says 0); openjpeg decodes the pixels it decodes where that byte is 0", async () => {
    // Two components: palette indices, and a second component the mapping takes directly as the third channel.
    const png = path.join(dir, "direct.png");
    await run(CONVERT, ["-seed", "11", "-size", "64x48", "plasma:fractal", "-colorspace", "gray", "-alpha", "set", "-channel", "A", "-fx", "i/w", "+channel", "-depth", "8", "-define", "png:color-type=4", png]);
    const made = path.join(dir, "direct.jp2");
    await run("/usr/bin/opj_compress", ["-i", png, "-o", made]);
    const mapping = (spare: number): Buffer => box("cmap", Buffer.from([0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, spare]));
    const withMapping = async (name: string, spare: number): Promise<string> => {
      const parts = boxes(await fs.readFile(made)).map(({ type, bytes }) => {
        if (type !== "jp2h") return bytes;
        const ihdr = boxes(bytes, 8).find((c) => c.type === "ihdr")!.bytes;
        return box("jp2h", Buffer.concat([ihdr, box("colr", Buffer.from([1, 0, 0, 0, 0, 0, 16])), palette(Buffer.alloc(0)), mapping(spare)]));
      });
      const file = path.join(dir, name);
      await fs.writeFile(file, Buffer.concat(parts));
      return file;
    };
    const reference = await withMapping("direct-reference.jp2", 0);
    const file = await withMapping("direct-marked.jp2", 0x5a);
    const pixels = await decoded(reference);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jp2");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(headerBox(cleaned!, "cmap").toString("hex")).toBe("000001000000010100010000");
    const out = path.join(dir, "cleaned-direct.jp2");
    await fs.writeFile(out, cleaned!);
    expect(await decoded(out)).toBe(pixels);
  });
});

describe("POST /api/v1/remove on a JPEG XL file whose level box holds more than its byte", () => {
  it("cuts the level box to its one byte; djxl decodes the same pixels", async () => {
    const png = path.join(dir, "level.png");
    await run(CONVERT, ["-seed", "13", "-size", "64x48", "plasma:fractal", "-depth", "8", png]);
    const made = path.join(dir, "level.jxl");
    await run("/usr/bin/cjxl", ["-d", "0", "--container=1", png, made]);
    const withLevel = async (name: string, level: Buffer): Promise<string> => {
      const parts = boxes(await fs.readFile(made)).flatMap(({ type, bytes }) => (type === "ftyp" ? [bytes, box("jxll", level)] : type === "jxll" ? [] : [bytes]));
      const file = path.join(dir, name);
      await fs.writeFile(file, Buffer.concat(parts));
      return file;
    };
    const reference = await withLevel("level-reference.jxl", Buffer.from([5]));
    const file = await withLevel("level-marked.jxl", Buffer.concat([Buffer.from([5]), text]));
    expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);
    const djxl = async (f: string): Promise<string> => {
      await run("/usr/bin/djxl", [f, `${f}.png`]);
      return pixelSignature(`${f}.png`);
    };
    const pixels = await djxl(reference);

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.jxl");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-level.jxl");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(boxes(cleaned!).find((b) => b.type === "jxll")!.bytes.subarray(8).toString("hex")).toBe("05");
    expect(await djxl(out)).toBe(pixels);
  });
});
