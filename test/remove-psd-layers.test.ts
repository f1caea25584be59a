import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-images.js";
import { descriptor, descriptorBody, embeddedFile, externalFile, id, layerBlock, layerTimes, list, makeLayeredPsd, placedLayer, type Typed, unicode } from "./helpers/make-psd-layers.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { ROOT, startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

const MARKER = "PsdLayerMark_Q7v3Zp";
const FIXTURES = path.join(ROOT, "test", "fixtures", "psd");
const FIXTURE = path.join(FIXTURES, "photoshop-cs5-layer.psd");

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "remove-psd-layers-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The merged picture and each layer of a PSD, as ImageMagick decodes them. */
async function layerPixels(file: string): Promise<string[]> {
  const count = (await run("/usr/bin/identify", [file])).stdout.toString().trim().split("\n").length;
  return Promise.all(Array.from({ length: count }, async (_, i) => (await run(CONVERT, [`${file}[${i}]`, "-format", "%#", "info:"])).stdout.toString().trim()));
}

async function photoshopTags(file: string): Promise<Record<string, unknown>> {
  return (JSON.parse(await exiftool(["-j", "-u", "-Photoshop:all", file])) as Array<Record<string, unknown>>)[0]!;
}

/** Removes through the API, expects a 200 with nothing remaining and writes the copy beside the input. */
async function cleaned(input: string): Promise<{ output: string; removed: Record<string, number> }> {
  const { status, body, cleaned: bytes } = await removeViaApi(server, input);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const output = `${input}.clean.psd`;
  await fs.writeFile(output, bytes!);
  return { output, removed: body["removed"] as Record<string, number> };
}

/** The file embedded in the first smart-object item (`lnk2`, `liFD`) of a PSD, walked by its fields. */
function embeddedFileIn(psd: Buffer): Buffer {
  const block = psd.indexOf("8BIMlnk2", 0, "latin1");
  expect(block).toBeGreaterThan(0);
  const item = block + 12 + 8;
  expect(psd.toString("latin1", item, item + 4)).toBe("liFD");
  const nameAt = item + 9 + psd[item + 8]!;
  const typesEnd = nameAt + 4 + 2 * psd.readUInt32BE(nameAt) + 8;
  const length = Number(psd.readBigUInt64BE(typesEnd));
  expect(psd[typesEnd + 8]).toBe(0);
  return psd.subarray(typesEnd + 9, typesEnd + 9 + length);
}

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const doubles = (...ns: number[]): Buffer => Buffer.concat(ns.map((n) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
}));
const t = (type: string, ...data: Buffer[]): Typed => ({ type, data: Buffer.concat(data) });

/**
 * A descriptor (with its version) holding a value of each of the format's types, as psd-tools
 * reads them (src/psd_tools/psd/descriptor.py): the documented ones, the undocumented object
 * array (`ObAr`, as a custom warp's points), unit floats and path, and the reference forms.
 */
function everyValueType(): Buffer {
  const reference = list("obj ", [
    t("prop", unicode(""), id("Lyr "), id("Nm  ")),
    t("Clss", unicode(""), id("Lyr ")),
    t("Enmr", unicode(""), id("Lyr "), id("Ordn"), id("Trgt")),
    t("rele", unicode(""), id("Lyr "), be32(2)),
    t("Idnt", be32(7)),
    t("indx", be32(1)),
    t("name", unicode(""), id("Lyr "), unicode("Background")),
  ]);
  return descriptor("openParameters", [
    ["Objc", t("Objc", descriptorBody("Pnt ", [["Hrzn", 1.5], ["Vrtc", 2.5]]))],
    ["GlbO", t("GlbO", descriptorBody("null", [["long", { long: 3 }]]))],
    ["ObAr", t("ObAr", be32(2), descriptorBody("rationalPoint", [["Hrzn", t("UnFl", Buffer.from("#Pxl"), be32(2), doubles(0, 10))], ["Vrtc", t("UnFl", Buffer.from("#Pxl"), be32(2), doubles(0, 20))]]))],
    ["VlLs", list("VlLs", [1, { long: 2 }, "three"])],
    ["obj ", reference],
    ["doub", 0.5],
    ["UntF", t("UntF", Buffer.from("#Prc"), doubles(50))],
    ["UnFl", t("UnFl", Buffer.from("#Ang"), be32(3), doubles(1, 2, 3))],
    ["long", { long: 1 }],
    ["comp", t("comp", Buffer.alloc(8, 1))],
    ["bool", t("bool", Buffer.from([1]))],
    ["TEXT", "page"],
    ["enum", t("enum", id("Ordn"), id("Trgt"))],
    ["type", t("type", unicode(""), id("Lyr "))],
    ["GlbC", t("GlbC", unicode(""), id("Lyr "))],
    ["Clss", t("Clss", unicode(""), id("Dcmn"))],
    ["prop", t("prop", unicode(""), id("Lyr "), id("Nm  "))],
    ["Enmr", t("Enmr", unicode(""), id("Lyr "), id("Ordn"), id("Trgt"))],
    ["rele", t("rele", unicode(""), id("Lyr "), be32(1))],
    ["Idnt", t("Idnt", be32(5))],
    ["indx", t("indx", be32(2))],
    ["name", t("name", unicode(""), id("Lyr "), unicode("Layer 1"))],
    ["alis", t("alis", be32(4), Buffer.from("ALIS"))],
    ["tdta", t("tdta", be32(3), Buffer.from([1, 2, 3]))],
    ["Pth ", t("Pth ", be32(8), Buffer.from("txtu"), Buffer.alloc(4))],
  ]);
}

describe("Photoshop layers' own information", () => {
  it("a layer's modification date (shmd, Photoshop CS5+) goes with what sits beside it; names, ids and pixels stay", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "shmd-"));
    const input = await makeLayeredPsd(dir, MARKER, (i) => Buffer.concat([layerTimes(1_337_000_000 + i, `${MARKER} layer ${i}`), layerBlock("lyid", Buffer.from([0, 0, 0, 10 + i]))]), Buffer.alloc(0));
    const before = await photoshopTags(input);
    expect(String(before["LayerModifyDates"])).toMatch(/^2012:/);
    expect(await findMarker(input, MARKER)).not.toEqual([]);

    const { output } = await cleaned(input);
    expect(await findMarker(output, MARKER)).toEqual([]);
    const after = await photoshopTags(output);
    expect(after["LayerModifyDates"]).toBeUndefined();
    expect(after["LayerNames"]).toEqual(before["LayerNames"]);
    expect(after["LayerIDs"]).toEqual(before["LayerIDs"]);
    expect(after["LayerCount"]).toBe(before["LayerCount"]);
    expect(await layerPixels(output)).toEqual(await layerPixels(input));
  });

  it("a document Photoshop CS5 saved (fixture) is cleaned: its layer's date, print settings and XMP go, its picture stays", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "cs5-"));
    const input = path.join(dir, "photoshop.psd");
    await fs.copyFile(FIXTURE, input);
    expect((await photoshopTags(input))["LayerModifyDates"]).toBeDefined();

    const { output } = await cleaned(input);
    const after = await photoshopTags(output);
    expect(after["LayerModifyDates"]).toBeUndefined();
    expect(after["LayerNames"]).toBe("Layer 1");
    const bytes = await fs.readFile(output);
    for (const gone of ["Canon SELPHY", "xmp.did:", "Adobe Photoshop CS5", "layerTime"]) expect(bytes.includes(gone), gone).toBe(false);
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
  });
});

describe("Photoshop smart objects", () => {
  it("a placed JPEG embedded whole (lnk2) is cleaned, not handed back with its EXIF and GPS; its picture stays", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "lnk2-"));
    const jpegDir = await fs.mkdtemp(path.join(tmp, "lnk2-jpeg-"));
    const jpeg = await fs.readFile(await makeJpeg(jpegDir, MARKER));
    const placed = layerBlock("lnk2", embeddedFile("5d0f1d2e-placed", `${MARKER}-holiday.jpg`, "JPEG", jpeg, `xmp.did:${MARKER}`));
    const input = await makeLayeredPsd(dir, MARKER, () => Buffer.alloc(0), placed);
    expect(embeddedFileIn(await fs.readFile(input))).toEqual(jpeg);

    const { output, removed } = await cleaned(input);
    expect(await findMarker(output, MARKER)).toEqual([]);
    expect(removed["attachments"]).toBe(1);
    expect(removed["exif"]).toBeGreaterThan(0);
    const inner = path.join(dir, "inner.jpg");
    await fs.writeFile(inner, embeddedFileIn(await fs.readFile(output)));
    await fs.writeFile(path.join(dir, "orig.jpg"), jpeg);
    expect(await pixelSignature(inner)).toBe(await pixelSignature(path.join(dir, "orig.jpg")));
    expect(await layerPixels(output)).toEqual(await layerPixels(input));
  });

  it("an embedded file's descriptor of how to open it, holding a value of every type of the format (ObAr among them), is read: the file is cleaned", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "lnk2-open-"));
    const jpegDir = await fs.mkdtemp(path.join(tmp, "lnk2-open-jpeg-"));
    const jpeg = await fs.readFile(await makeJpeg(jpegDir, MARKER));
    const input = await makeLayeredPsd(dir, MARKER, () => Buffer.alloc(0), layerBlock("lnk2", embeddedFile("5d0f1d2e-placed", "photo.jpg", "JPEG", jpeg, "", everyValueType())));

    const { output, removed } = await cleaned(input);
    expect(await findMarker(output, MARKER)).toEqual([]);
    expect(removed["attachments"]).toBe(1);
    expect(removed["exif"]).toBeGreaterThan(0);
    // The descriptor is copied as it is, the file after it found where the walk says it starts.
    expect((await fs.readFile(output)).includes(everyValueType())).toBe(true);
  });

  it("an embedded file no cleaner handles makes the document refused, never handed back", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "lnk2-unknown-"));
    const placed = layerBlock("lnk2", embeddedFile("5d0f1d2e-placed", "notes.bin", "    ", Buffer.from(`\x00\x01opaque data by ${MARKER}\x00`, "latin1"), ""));
    const input = await makeLayeredPsd(dir, MARKER, () => Buffer.alloc(0), placed);
    const { status, body } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(String(body["error"])).toMatch(/smart object/);
  });

  it("links to files on the author's disk (lnkE), annotations (Anno) and blocks no list knows go, counted", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "lnkE-"));
    const global = Buffer.concat([
      layerBlock("lnkE", externalFile("77aa-linked", `/Users/${MARKER}/Pictures/passport.jpg`)),
      layerBlock("Anno", Buffer.concat([Buffer.from([0, 2, 0, 1, 0, 0, 0, 1]), Buffer.from(`note by ${MARKER}`)])),
      layerBlock("cinf", descriptor("null", [["psVersion", `Photoshop 22 ${MARKER}`]])),
    ]);
    const input = await makeLayeredPsd(dir, MARKER, (i) => layerBlock("Xyzw", Buffer.from(`private ${MARKER} ${i}`)), global);

    const { output, removed } = await cleaned(input);
    expect(await findMarker(output, MARKER)).toEqual([]);
    expect(removed).toMatchObject({ externalLinks: 1, annotations: 1 });
    expect(await layerPixels(output)).toEqual(await layerPixels(input));
  });

  it("notes (Anno) stay with keep=comments", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "anno-kept-"));
    const note = layerBlock("Anno", Buffer.concat([Buffer.from([0, 2, 0, 1, 0, 0, 0, 1]), Buffer.from(`note by ${MARKER}`)]));
    const input = await makeLayeredPsd(dir, MARKER, () => Buffer.alloc(0), note);
    const { status, body, cleaned: bytes } = await removeViaApi(server, input, "notes.psd", { keep: "comments" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(bytes!.includes(note)).toBe(true);
    expect((body["removed"] as Record<string, number>)["annotations"]).toBeUndefined();
  });
});

const TIME_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/gi;

/** The time-based UUIDs written in a file, as text or as UTF-16 (big-endian, at either alignment). */
function timeUuids(b: Buffer): string[] {
  const utf16 = (from: number): string => Buffer.from(b.subarray(from, from + ((b.length - from) & ~1))).swap16().toString("utf16le");
  return [b.toString("latin1"), utf16(0), utf16(1)].flatMap((text) => text.match(TIME_UUID) ?? []);
}

/** The unique id of the first embedded file's item (`liFD`: type, version, the id as a Pascal string). */
function embeddedItemId(psd: Buffer): string {
  const at = psd.indexOf("liFD", 0, "latin1");
  expect(at).toBeGreaterThan(0);
  return psd.toString("latin1", at + 9, at + 9 + psd[at + 8]!);
}

/** How often `text` stands in `b` as text and as UTF-16 (big-endian). */
function occurrences(b: Buffer, text: string): { latin1: number; utf16: number } {
  const count = (needle: Buffer): number => {
    let n = 0;
    for (let at = b.indexOf(needle); at >= 0; at = b.indexOf(needle, at + 1)) n++;
    return n;
  };
  return { latin1: count(Buffer.from(text, "latin1")), utf16: count(Buffer.from(text, "utf16le").swap16()) };
}

describe("Photoshop placed layers' settings (SoLd, PlLd)", () => {
  const FILE_ID = "c3f4ac09-178b-11e2-96eb-baebb78cce04";
  const PLACED_ID = "c3f4ac08-178b-11e2-96eb-baebb78cce04";

  it("time-based ids become derived ones, the same in the settings (under any key) and the embedded file's item; file paths go; geometry and pixels stay", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "placed-ids-"));
    const jpeg = await fs.readFile(await makeJpeg(await fs.mkdtemp(path.join(tmp, "placed-jpeg-")), MARKER));
    const sized = (text: string): Buffer => Buffer.concat([be32(text.length), Buffer.from(text, "latin1")]);
    const paths: Array<[string, Typed | string]> = [
      ["alis", t("alis", sized(`/Users/${MARKER}/in.psd`))],
      ["Pth ", t("Pth ", sized(`C:/${MARKER}/photo.jpg`))],
      // An id under a key no list knows (a damaged key, a newer Photoshop's) goes the same way.
      ["Xyzw", `${PLACED_ID}\0`],
    ];
    const global = layerBlock("lnk2", embeddedFile(FILE_ID, "photo.jpg", "JPEG", jpeg, ""));
    const input = await makeLayeredPsd(dir, MARKER, (i) => (i === 0 ? placedLayer(FILE_ID, PLACED_ID, paths) : Buffer.alloc(0)), global);
    const before = await fs.readFile(input);
    expect(timeUuids(before).length).toBe(5);

    const { output } = await cleaned(input);
    const after = await fs.readFile(output);
    expect(await findMarker(output, MARKER)).toEqual([]);
    expect(timeUuids(after)).toEqual([]);
    // The layer's link to its contents: the item's new id stands in SoLd's Idnt and in PlLd.
    const newId = embeddedItemId(after);
    expect(newId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(occurrences(after, newId)).toEqual({ latin1: 2, utf16: 1 });
    for (const kept of ["Trnf", "warpStyle", "totalPages"]) expect(after.includes(kept), kept).toBe(true);
    expect(await layerPixels(output)).toEqual(await layerPixels(input));
  });

  it("psd-tools' PSB (fixture): the placed layer keeps its link to the embedded PNG under derived ids, none time-based left", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "placed-fixture-"));
    const input = path.join(dir, "placed.psb");
    await fs.copyFile(path.join(FIXTURES, "placed-layer.psb"), input);
    const before = await fs.readFile(input);
    expect(occurrences(before, embeddedItemId(before))).toEqual({ latin1: 2, utf16: 1 });
    expect(timeUuids(before).length).toBeGreaterThan(0);

    const { output } = await cleaned(input);
    const after = await fs.readFile(output);
    expect(timeUuids(after)).toEqual([]);
    expect(occurrences(after, embeddedItemId(after))).toEqual({ latin1: 2, utf16: 1 });
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
  });
});

describe("Photoshop documents of psd-tools' test set (fixtures)", () => {
  it("a PSB with a placed PNG and two links to files on the author's disk: the PNG is cleaned, the links go, the user's name with them", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "placed-"));
    const input = path.join(dir, "placed.psb");
    await fs.copyFile(path.join(FIXTURES, "placed-layer.psb"), input);
    expect(await findMarker(input, "a14824")).not.toEqual([]);

    const { output, removed } = await cleaned(input);
    expect(removed).toMatchObject({ attachments: 1, externalLinks: 2 });
    expect(removed["png"]).toBeGreaterThan(0);
    expect(await findMarker(output, "a14824")).toEqual([]);
    expect(await findMarker(output, "Macintosh HD")).toEqual([]);
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
  });

  it.each(["16", "32"])("a %s-bit document's layers (in their Lr16/Lr32 block) lose their modification dates and keep the rest", async (bits) => {
    const dir = await fs.mkdtemp(path.join(tmp, `deep-${bits}-`));
    const input = path.join(dir, `layers-${bits}.psd`);
    await fs.copyFile(path.join(FIXTURES, `layers-${bits}bit.psd`), input);
    // ExifTool reads the layers of an Lr16 block, not of an Lr32 one: the bytes tell for both.
    expect((await fs.readFile(input)).includes("layerTime")).toBe(true);
    const before = await photoshopTags(input);
    if (bits === "16") expect(String(before["LayerModifyDates"])).toMatch(/^2018:/);

    const { output } = await cleaned(input);
    const bytes = await fs.readFile(output);
    expect(bytes.includes("layerTime")).toBe(false);
    expect(bytes.includes(`8BIMLr${bits}`)).toBe(true);
    expect(bytes.includes("GdFl")).toBe(true);
    const after = await photoshopTags(output);
    expect(after["LayerModifyDates"]).toBeUndefined();
    for (const tag of ["LayerCount", "LayerNames", "LayerIDs"]) expect(after[tag], tag).toEqual(before[tag]);
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
  });

  it("a layer and mask section without the global mask's length is read, and its layers keep their pixels", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "no-mask-"));
    const input = path.join(dir, "one-layer.psd");
    await fs.copyFile(path.join(FIXTURES, "one-layer-no-global-mask.psd"), input);
    const { output } = await cleaned(input);
    expect(await layerPixels(output)).toEqual(await layerPixels(input));
  });

  it("a document whose section length leaves out 6 bytes, its composite then too short, is cleaned as psd-tools reads it: layers and composite bytes kept", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "short-section-"));
    const input = path.join(dir, "group-divider.psd");
    await fs.copyFile(path.join(FIXTURES, "group-divider-blend-mode.psd"), input);
    await exiftool(["-q", "-overwrite_original", `-XMP-dc:Creator=${MARKER}`, `-IPTC:By-line=${MARKER}`, input]);
    const before = await photoshopTags(input);
    expect(before["Compression"]).toBe("Uncompressed");

    const { output, removed } = await cleaned(input);
    expect(removed).toMatchObject({ xmp: expect.any(Number), iptc: expect.any(Number) });
    expect(await findMarker(output, MARKER)).toEqual([]);
    const after = await photoshopTags(output);
    for (const tag of ["LayerCount", "LayerNames", "LayerUnicodeNames", "LayerSections", "LayerBlendModes", "Compression"]) expect(after[tag], tag).toEqual(before[tag]);
    // The composite, from the section's stated end to the end of the file, byte for byte.
    const composite = async (file: string): Promise<Buffer> => {
      const b = await fs.readFile(file);
      const layersAt = 26 + 4 + b.readUInt32BE(26);
      const sectionAt = layersAt + 4 + b.readUInt32BE(layersAt);
      return b.subarray(sectionAt + 4 + b.readUInt32BE(sectionAt));
    };
    expect((await composite(output)).equals(await composite(input))).toBe(true);
  });
});

describe("Photoshop hostile documents", () => {
  it("five million empty image resources are refused before ExifTool reads them, quickly", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "resources-"));
    const block = Buffer.from("8BIM\x03\xe8\x00\x00\x00\x00\x00\x00", "latin1");
    const count = 5_000_000;
    const resources = Buffer.alloc(block.length * count);
    for (let i = 0; i < count; i++) block.copy(resources, i * block.length);
    const header = Buffer.alloc(26);
    header.write("8BPS", 0, "latin1");
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(3, 12);
    header.writeUInt32BE(1, 14);
    header.writeUInt32BE(1, 18);
    header.writeUInt16BE(8, 22);
    header.writeUInt16BE(3, 24);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(resources.length);
    const input = path.join(dir, "resources.psd");
    await fs.writeFile(input, Buffer.concat([header, Buffer.alloc(4), length, resources, Buffer.alloc(4), Buffer.from([0, 0]), Buffer.alloc(3)]));

    const started = Date.now();
    const { status, body } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(422);
    // ExifTool's read alone took its 60 s limit; the screen walks 10,000 block heads.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("five million blocks of layer information in one layer are refused before ExifTool reads them, quickly", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "layer-blocks-"));
    const block = layerBlock("lyid", Buffer.from([0, 0, 0, 7]));
    const count = 5_000_000;
    const blocks = Buffer.alloc(block.length * count);
    for (let i = 0; i < count; i++) block.copy(blocks, i * block.length);
    const input = await makeLayeredPsd(dir, MARKER, (i) => (i === 0 ? blocks : Buffer.alloc(0)), Buffer.alloc(0));

    const started = Date.now();
    const { status, body } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(422);
    // ExifTool's read of it took 24 s of CPU (a list of five million layer ids); the screen walks 200,000 block heads.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
