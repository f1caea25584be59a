import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { makeBmp, makeJp2, makeJpx, makeJxl, makeJxlCodestream, makePhotoshopPsd, makePsb, makePsd, makeXmpSidecar, PSD_PATH } from "./helpers/make-formats.js";
import { makeDosEps, makeEps, makeEpsWithDocument, makeIllustratorEps } from "./helpers/make-postscript.js";
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
  /** A TIFF preview is kept (cleaned): its layout fields stay in the EXIF group. */
  tiffPreview?: boolean;
}

/** opj_decompress or djxl to PNG, then ImageMagick's signature of the PNG's pixels. */
function decodedBy(tool: string, args: (input: string, output: string) => string[]): (file: string) => Promise<string[]> {
  return async (file) => {
    const out = `${file}.decoded.png`;
    await run(tool, args(file, out));
    return [await pixelSignature(out)];
  };
}

/** What a TIFF needs to show its pixels (a kept preview's fields). */
const TIFF_LAYOUT = /^EXIF:(ImageWidth|ImageHeight|BitsPerSample|Compression|PhotometricInterpretation|FillOrder|StripOffsets|SamplesPerPixel|RowsPerStrip|StripByteCounts|PlanarConfiguration|WhitePoint|PrimaryChromaticities)$/;

/** Ghostscript's rendering of a PostScript page at 72 dpi (one pixel a point), as pixels. */
async function rendered(file: string): Promise<string[]> {
  const out = `${file}.rendered.png`;
  await run("/usr/bin/gs", ["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-dEPSCrop", "-r72", `-sOutputFile=${out}`, file]);
  // A blank page would make the comparison meaningless: the picture has many colours.
  expect(Number((await run(CONVERT, [out, "-format", "%k", "info:"])).stdout.toString())).toBeGreaterThan(500);
  return [await pixelSignature(out)];
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
    name: "PSD as Photoshop writes it (print record and XML, slices, version names, unknown resource, bytes after the picture)",
    make: (d) => makePhotoshopPsd(d, MARKER),
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
  { name: "EPS (DSC comments, Photoshop, XMP, ICC blocks)", make: (d) => makeEps(d, MARKER), type: "EPS", pixels: rendered },
  { name: "EPS with a DOS binary header (TIFF and metafile previews)", make: (d) => makeDosEps(d, MARKER), type: "EPS", pixels: rendered, tiffPreview: true },
  { name: "EPS placing another EPS (%%BeginDocument with a file name)", make: (d) => makeEpsWithDocument(d, MARKER), type: "EPS", pixels: rendered },
  { name: "EPS as Illustrator writes it (its version, XMP read by the program, private data)", make: (d) => makeIllustratorEps(d, MARKER), type: "EPS", pixels: rendered },
  { name: "PostScript (not EPS)", make: (d) => makeEps(d, MARKER, false), type: "PS", pixels: rendered },
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
    const leftKeys = Object.keys(left[0] ?? {}).filter((k) => k !== "SourceFile" && !(row.tiffPreview === true && TIFF_LAYOUT.test(k)));
    expect(leftKeys).toEqual([]);
    expect(body["remaining"]).toEqual({});
    const before = await row.pixels(input);
    expect(before.every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
    expect(await row.pixels(output)).toEqual(before);
  });
});

describe("Photoshop: what shows the document stays", () => {
  it("a PSD keeps its paths, resolution and the version block's merged-data flag; its names are emptied", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "psd-kept-"));
    const input = await makePhotoshopPsd(dir, MARKER);
    const { status, body, cleaned } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(200);
    const output = path.join(dir, "clean.psd");
    await fs.writeFile(output, cleaned!);
    expect(cleaned!.includes(PSD_PATH)).toBe(true);
    const read = JSON.parse(await exiftool(["-j", "-u", "-Photoshop:all", output])) as Array<Record<string, unknown>>;
    expect(read[0]).toMatchObject({ HasRealMergedData: "Yes", WriterName: "", ReaderName: "", GlobalAltitude: 30 });
    expect(read[0]?.["XResolution"]).toBeDefined();
    expect(Object.keys(read[0]!).filter((k) => /Print|XMLData|Slice|URL|Thumbnail/.test(k))).toEqual([]);
  });
});

describe("PostScript: the drawing program stays byte for byte", () => {
  /** The generator's program without the metadata lines of its DSC header (ExifTool's additions never were in it). */
  async function expectedProgram(dir: string): Promise<string> {
    const program = (await fs.readFile(path.join(dir, "unplanted.eps"))).toString("latin1");
    const [head, body] = program.split(/(?=^%%EndComments)/m) as [string, string];
    return head.replace(/^%%(Creator|Title|For|CreationDate|Routing):.*\n(%%\+.*\n)*/gm, "") + body;
  }

  async function removed(input: string, dir: string): Promise<{ cleaned: Buffer; body: Record<string, unknown> }> {
    const { status, body, cleaned } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(200);
    await fs.writeFile(path.join(dir, "clean.eps"), cleaned!);
    return { cleaned: cleaned!, body };
  }

  it("EPS: everything but the header's metadata lines and the metadata blocks is the original program", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "eps-"));
    const { cleaned } = await removed(await makeEps(dir, MARKER), dir);
    expect(cleaned.toString("latin1")).toBe(await expectedProgram(dir));
  });

  it("EPS with keep=colorProfile: the ICC profile block stays as it was, the rest goes", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "eps-icc-"));
    const input = await makeEps(dir, MARKER);
    const block = (b: Buffer): string | undefined => /^%%BeginICCProfile[^]*?^%%EndICCProfile.*$/m.exec(b.toString("latin1"))?.[0];
    const profile = block(await fs.readFile(input));
    expect(profile).toBeDefined();
    const { status, body, cleaned } = await removeViaApi(server, input, "in.eps", { keep: "colorProfile" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(block(cleaned!)).toBe(profile);
    expect(Object.keys(body["remaining"] as object)).toEqual(["icc_profile"]);
    // The marker is in the profile's description: everywhere else it is gone.
    expect(cleaned!.toString("latin1").replace(profile!, "")).not.toContain(MARKER);
  });

  it("Illustrator EPS: its private data and version go, its XMP packet becomes spaces of the same length, the rest is the original program", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "ai-eps-"));
    const input = (await fs.readFile(await makeIllustratorEps(dir, MARKER))).toString("latin1");
    const { cleaned, body } = await removed(path.join(dir, "illustrator.eps"), dir);
    expect((body["removed"] as Record<string, number>)["privateData"]).toBe(1);
    const packet = /<\?xpacket begin=[^]*?<\?xpacket end="w"\?>/.exec(input)![0];
    const privateData = /(?<=^%AI9_PrivateDataBegin\n)[^]*?(?=^%AI9_PrivateDataEnd$)/m.exec(input)![0];
    const expected = input
      .replace(/^(%%(Creator|Title|For|CreationDate|Routing):.*\n(%%\+.*\n)*|%%AI8_CreatorVersion:.*\n|%ADO_BuildNumber:.*\n)(?=[^]*^%%EndComments)/gm, "")
      .replace(packet, packet.replace(/[^\n]/g, " "))
      .replace(privateData, "");
    expect(cleaned.toString("latin1")).toBe(expected);
  });

  it("DOS binary EPS: same program, the TIFF preview kept without its metadata, the metafile preview dropped", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "dos-eps-"));
    const { cleaned, body } = await removed(await makeDosEps(dir, MARKER), dir);
    expect(cleaned.readUInt32BE(0)).toBe(0xc5d0d3c6);
    const section = (at: number): Buffer => cleaned.subarray(cleaned.readUInt32LE(at), cleaned.readUInt32LE(at) + cleaned.readUInt32LE(at + 4));
    expect(section(4).toString("latin1")).toBe(await expectedProgram(dir));
    expect([cleaned.readUInt32LE(12), cleaned.readUInt32LE(16)]).toEqual([0, 0]);
    const preview = path.join(dir, "clean-preview.tif");
    await fs.writeFile(preview, section(20));
    expect(await findMarker(preview, MARKER)).toEqual([]);
    expect(await pixelSignature(preview)).toBe(await pixelSignature(path.join(dir, "preview.tif")));
    expect((body["removed"] as Record<string, number>)["previews"]).toBe(1);
  });
});

describe("BMP: a profile the header's offsets put among the pixels", () => {
  it("is refused as damaged, not copied as pixels (fuzz seed 1707408641, #2487: the pixel offset 0x8A read as 0x18A)", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "bmp-offset-"));
    const bmp = await fs.readFile(await makeBmp(dir, MARKER, false));
    bmp.writeUInt32LE(bmp.readUInt32LE(10) + 0x100, 10);
    const file = path.join(dir, "shifted.bmp");
    await fs.writeFile(file, bmp);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The BMP file is damaged: its colour profile overlaps its pixels.");
    expect(cleaned).toBeNull();
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
