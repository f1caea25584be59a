import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { makeBmp, makeJp2, makeJpx, makeJxl, makeJxlCodestream, makePsb, makePsd, makeXmpSidecar } from "./helpers/make-formats.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

const MARKER = "FmtMark_W5c2Tk";

interface Row {
  name: string;
  make(dir: string): Promise<string>;
  type: string;
  /** Decoded pixels of the file, as its own decoder gives them (a signature per picture or layer). */
  pixels(file: string): Promise<string[]>;
  /** The generator cannot plant anything (the format has no place for it). */
  bare?: boolean;
}

/** opj_decompress or djxl to PNG, then ImageMagick's signature of the PNG's pixels. */
function decodedBy(tool: string, args: (input: string, output: string) => string[]): (file: string) => Promise<string[]> {
  return async (file) => {
    const out = `${file}.decoded.png`;
    await run(tool, args(file, out));
    return [await pixelSignature(out)];
  };
}

/** A Photoshop document's merged picture and each layer, as ImageMagick decodes them. */
async function layers(file: string): Promise<string[]> {
  return Promise.all([0, 1, 2].map(async (i) => (await run(CONVERT, [`${file}[${i}]`, "-format", "%#", "info:"])).stdout.toString().trim()));
}

const rows: Row[] = [
  {
    name: "PSD (two layers)",
    make: (d) => makePsd(d, MARKER),
    type: "PSD",
    pixels: layers,
  },
  {
    name: "PSB (large document, two layers)",
    make: (d) => makePsb(d, MARKER),
    type: "PSB",
    pixels: layers,
  },
  { name: "JPEG 2000 (JP2)", make: (d) => makeJp2(d, MARKER), type: "JP2", pixels: decodedBy("/usr/bin/opj_decompress", (i, o) => ["-i", i, "-o", o]) },
  { name: "JPEG 2000 part 2 (JPX: labels, association, vendor UUID)", make: (d) => makeJpx(d, MARKER), type: "JPX", pixels: decodedBy("/usr/bin/opj_decompress", (i, o) => ["-i", i, "-o", o]) },
  { name: "JPEG XL (container)", make: (d) => makeJxl(d, MARKER), type: "JXL", pixels: decodedBy("/usr/bin/djxl", (i, o) => [i, o]) },
  { name: "BMP (embedded ICC profile, bytes after it)", make: (d) => makeBmp(d, MARKER, false), type: "BMP", pixels: async (f) => [await pixelSignature(f)] },
  { name: "BMP (linked profile path)", make: (d) => makeBmp(d, MARKER, true), type: "BMP", pixels: async (f) => [await pixelSignature(f)] },
  { name: "JPEG XL (bare codestream)", make: (d) => makeJxlCodestream(d), type: "JXL Codestream", pixels: decodedBy("/usr/bin/djxl", (i, o) => [i, o]), bare: true },
];

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "remove-formats-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("image format removal", () => {
  it.each(rows)("$name: no marker left, same pixels, nothing remaining", async (row) => {
    const dir = await fs.mkdtemp(path.join(tmp, "gen-"));
    const input = await row.make(dir);
    if (row.bare !== true) expect(await findMarker(input, MARKER), "the generator planted the marker").not.toEqual([]);
    expect((await exiftool(["-s3", "-FileType", input])).trim()).toBe(row.type);

    const { status, body, cleaned } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(200);
    const output = path.join(dir, `clean${path.extname(input)}`);
    await fs.writeFile(output, cleaned!);

    expect(await findMarker(output, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-FileType", output])).trim()).toBe(row.type);
    const left = JSON.parse(await exiftool(["-j", "-G0", "-XMP:all", "-IPTC:all", "-EXIF:all", "-GPS:all", output])) as Record<string, unknown>[];
    expect(Object.keys(left[0] ?? {}).filter((k) => k !== "SourceFile")).toEqual([]);
    expect(body["remaining"]).toEqual({});
    const before = await row.pixels(input);
    expect(before.every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
    expect(await row.pixels(output)).toEqual(before);
  });
});

describe("files that are nothing but metadata", () => {
  it("an XMP sidecar: 422 with a sentence saying so, no download", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "xmp-"));
    const { status, body, cleaned } = await removeViaApi(server, await makeXmpSidecar(dir, MARKER));
    expect(status).toBe(422);
    expect(body["error"]).toMatch(/^This is an XMP sidecar file: it holds nothing but metadata about another file/);
    expect(cleaned).toBeNull();
  });
});
