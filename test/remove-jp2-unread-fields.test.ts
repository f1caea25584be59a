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
 * composition's instruction set. A marker planted there came back in the clean copy.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Jpxfield${crypto.randomBytes(6).toString("hex")}`;
/** The marker as text, four-byte aligned so that it can stand as compatibility list entries. */
const text = Buffer.concat([Buffer.from(` ${MARKER} `), Buffer.from(MARKER, "utf16le")]);
const aligned = Buffer.concat([text, Buffer.alloc((4 - (text.length % 4)) % 4, 0x20)]);

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

/** An instruction set (type 0x27: offset, size, life and crop fields, 40 bytes) of one instruction, with `marked` the marker after it. */
function instructions(marked: boolean): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x27, 0);
  const instruction = Buffer.alloc(40);
  instruction.writeUInt32BE(64, 8); // width
  instruction.writeUInt32BE(48, 12); // height
  instruction.writeUInt32BE(64, 32); // crop width
  instruction.writeUInt32BE(48, 36); // crop height
  return box("inst", Buffer.concat([head, instruction, marked ? text.subarray(0, 39) : Buffer.alloc(0)]));
}

/** The composition's options: height, width, loop count. */
function options(): Buffer {
  const copt = Buffer.alloc(9);
  copt.writeUInt32BE(48, 0);
  copt.writeUInt32BE(64, 4);
  return box("copt", copt);
}

type Place = "compatibility list" | "vendor colour beside a colour by number" | "vendor colour alone" | "opacity" | "instructions";

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
  const colour = (c: Buffer): Buffer[] => (place === "vendor colour alone" ? [vendorColour] : place === "vendor colour beside a colour by number" ? [vendorColour, c] : [c]);
  const parts = boxes(drawn).flatMap(({ type, bytes }) => {
    if (type === "ftyp") return [box("ftyp", Buffer.concat([Buffer.from("jpx \0\0\0\0jp2 jpx jpxb", "latin1"), place === "compatibility list" ? aligned : Buffer.alloc(0)]))];
    if (type !== "jp2h") return [bytes];
    const children = boxes(bytes, 8).flatMap((c) => (c.type === "colr" ? colour(c.bytes) : [c.bytes]));
    const opacity = box("opct", Buffer.concat([Buffer.from([0]), place === "opacity" ? text : Buffer.alloc(0)]));
    return [box("jp2h", Buffer.concat(children)), box("jplh", opacity), box("comp", Buffer.concat([options(), instructions(place === "instructions")]))];
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
  it.each<Place>(["compatibility list", "vendor colour beside a colour by number", "vendor colour alone", "opacity", "instructions"])(
    "cuts it from the %s; the boxes' fields and the pixels unchanged",
    async (place) => {
      const { file, made } = await markedJpx(place);
      expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);
      const pixels = await decoded(file);
      expect(pixels).toBe(await decoded(made));

      const { status, body, cleaned } = await removeViaApi(server, file, "picture.jpx");
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      const out = path.join(dir, `cleaned-${path.basename(file)}`);
      await fs.writeFile(out, cleaned!);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(await decoded(out)).toBe(pixels);
      const top = boxes(cleaned!);
      expect(top.find((b) => b.type === "ftyp")!.bytes.subarray(8).toString("latin1")).toBe("jpx \0\0\0\0jp2 jpx jpxb");
      // The opacity type and the instruction stay, as drawn.
      expect(boxes(top.find((b) => b.type === "jplh")!.bytes, 8)[0]!.bytes.length).toBe(8 + 1);
      expect(boxes(top.find((b) => b.type === "comp")!.bytes, 8).map((b) => b.bytes.length)).toEqual([8 + 9, 8 + 8 + 40]);
      // The vendor's goes; alone, it becomes sRGB, which openjpeg wrote.
      const colours = boxes(top.find((b) => b.type === "jp2h")!.bytes, 8).filter((b) => b.type === "colr");
      expect(colours.map((c) => c.bytes.subarray(8).toString("hex"))).toEqual(["01000000000010"]);
    },
  );
});
