import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { makeDng, rawSample, type RawKind } from "./helpers/make-raw.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

const MARKER = "RawMark_J4n8Qs";
const DCRAW = "/usr/bin/dcraw";

interface Row {
  name: string;
  make(dir: string): Promise<string>;
  /** ExifTool's FileType for the file. */
  type: string;
  /** The sample holds real sensor data: dcraw's rendering must be the same before and after. */
  renders?: boolean;
}

const rows: Row[] = [
  { name: "DNG built by the suite (real sensor data)", make: (d) => makeDng(d, MARKER), type: "DNG", renders: true },
  { name: "DNG (Adobe DNG Converter, Canon maker notes)", make: (d) => rawSample(d, "DNG.dng", MARKER), type: "DNG" },
  { name: "CR2 (Canon EOS 350D)", make: (d) => rawSample(d, "CanonRaw.cr2", MARKER), type: "CR2" },
  { name: "CR3 (Canon EOS M50)", make: (d) => rawSample(d, "CanonRaw.cr3", MARKER), type: "CR3" },
  { name: "CRW (Canon EOS 300D)", make: (d) => rawSample(d, "CanonRaw.crw", MARKER), type: "CRW" },
  { name: "NEF (Nikon D70)", make: (d) => rawSample(d, "Nikon.nef", MARKER), type: "NEF" },
  { name: "RAF (Fujifilm S5Pro)", make: (d) => rawSample(d, "FujiFilm.raf", MARKER), type: "RAF" },
  { name: "RW2 (Panasonic DMC-LX3)", make: (d) => rawSample(d, "Panasonic.rw2", MARKER), type: "RW2" },
  { name: "MRW (Minolta DiMAGE A2)", make: (d) => rawSample(d, "Minolta.mrw", MARKER), type: "MRW" },
  { name: "IIQ (Leaf Credo 40)", make: (d) => rawSample(d, "PhaseOne.iiq", MARKER), type: "IIQ" },
  // ExifTool's samples hold no ARW, PEF or ORF: the suite's sensor data in each family's container,
  // as ExifTool recognises it (compression code or header), with the real maker notes of a Pentax
  // K10D and an Olympus E-1 copied from those cameras' JPEG samples (none exists for Sony).
  { name: "ARW container built by the suite", make: (d) => makeDng(d, MARKER, ARW), type: "ARW" },
  { name: "PEF built by the suite, Pentax K10D maker notes", make: (d) => makeDng(d, MARKER, PEF), type: "PEF" },
  { name: "ORF built by the suite, Olympus E-1 maker notes", make: (d) => makeDng(d, MARKER, ORF), type: "ORF" },
];

const ARW: RawKind = { ext: "arw", make: "SONY", compression: 32767, dng: false };
const PEF: RawKind = { ext: "pef", make: "PENTAX Corporation", compression: 65535, dng: false, makerNotesFrom: "Pentax.jpg" };
const ORF: RawKind = { ext: "orf", make: "OLYMPUS IMAGING CORP.", compression: 1, olympusHeader: true, dng: false, makerNotesFrom: "OlympusE1.jpg" };
/** Uncompressed, no DNGVersion: ExifTool says "TIFF" for it, yet it holds raw CFA data. */
const TIFF_RAW: RawKind = { ext: "nef", make: "NIKON CORPORATION", compression: 1, dng: false };

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "remove-raw-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

/**
 * ExifTool's hash of the raw sensor data (not the previews), independent of the metadata. Read
 * from a copy without extension, as the service reads: ExifTool hashes an ORF only when it finds
 * its type from the bytes.
 */
async function rawDataHash(file: string): Promise<string> {
  const bare = `${file}-bare`;
  await fs.copyFile(file, bare);
  const hash = (await exiftool(["-s3", "-ImageDataHash", bare])).trim();
  expect(hash).toMatch(/^[0-9a-f]{32}$/);
  return hash;
}

/** What dcraw makes of the file (camera, sizes, colour filter, multipliers), minus name, owner and date. */
async function dcrawIdentity(file: string): Promise<string> {
  // dcraw exits 1 when it identifies a camera yet finds no raw data it can decode (the cut samples).
  const { stdout } = await run(DCRAW, ["-i", "-v", file], { okCodes: [1] });
  return stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => !/^(Filename|Timestamp|Owner|Embedded ICC profile):/.test(l))
    .join("\n");
}

async function tags(file: string): Promise<Record<string, unknown>> {
  const [json] = JSON.parse(await exiftool(["-j", "-G0", "-a", "-u", file])) as Record<string, unknown>[];
  return json ?? {};
}

describe("camera raw removal", () => {
  it.each(rows)("$name: no marker, GPS, XMP or IPTC left, raw data byte-equal, decoders see the same picture", async (row) => {
    const dir = await fs.mkdtemp(path.join(tmp, "gen-"));
    const input = await row.make(dir);
    expect(await findMarker(input, MARKER), "the generator planted the marker").not.toEqual([]);
    const original = await tags(input);
    expect(original["File:FileType"]).toBe(row.type);

    const { status, body, cleaned } = await removeViaApi(server, input);
    expect(status, JSON.stringify(body)).toBe(200);
    const output = path.join(dir, `clean${path.extname(input)}`);
    await fs.writeFile(output, cleaned!);

    expect(await findMarker(output, MARKER)).toEqual([]);
    const after = await tags(output);
    expect(after["File:FileType"]).toBe(row.type);
    const personal = Object.keys(after).filter((k) => /^(XMP|IPTC|Photoshop|ICC_Profile)[:-]|GPS/.test(k));
    expect(personal).toEqual([]);
    // Numeric serial numbers cannot hold the marker: the body's own must be gone or zeroed.
    const serials = Object.entries(after).filter(([k, v]) => /Serial|Owner/i.test(k) && !/Format$/.test(k) && !/^[\s0]*$/.test(String(v)));
    expect(serials).toEqual([]);
    for (const k of ["EXIF:Make", "EXIF:Model", "MakerNotes:Make", "MakerNotes:Model"]) expect(after[k], k).toEqual(original[k]);
    // The home and travel cities a Pentax clock is set to (the K10D's Toronto and New York) are zeroed.
    for (const k of ["MakerNotes:HometownCity", "MakerNotes:DestinationCity"].filter((key) => key in original)) expect(after[k], k).not.toEqual(original[k]);

    expect(await rawDataHash(output)).toBe(await rawDataHash(input));
    expect(await dcrawIdentity(output)).toBe(await dcrawIdentity(input));
    if (row.renders === true) {
      const render = async (f: string): Promise<Buffer> => (await run(DCRAW, ["-4", "-c", f])).stdout;
      const picture = await render(input);
      expect(picture.length).toBeGreaterThan(64 * 48 * 6);
      expect((await render(output)).equals(picture)).toBe(true);
    }

    const remaining = body["remaining"] as Record<string, unknown>;
    expect(Object.keys(remaining).filter((g) => !["exif", "makernotes"].includes(g.toLowerCase()))).toEqual([]);
  });
});

describe("keep=copyright on camera raws", () => {
  const OWNER = "Jane Roe Photography";
  const NOTICE = "(c) 2024 Jane Roe, all rights reserved";
  /** The rights fields the contract keeps: how ExifTool writes each, how it reads it back (-G0), the value. */
  const RIGHTS: readonly [write: string, read: string, value: string][] = [
    ["EXIF:Copyright", "EXIF:Copyright", NOTICE], ["EXIF:Artist", "EXIF:Artist", OWNER],
    ["XMP-dc:Rights", "XMP:Rights", NOTICE], ["XMP-dc:Creator", "XMP:Creator", OWNER],
    ["XMP-xmpRights:UsageTerms", "XMP:UsageTerms", "No AI training"], ["XMP-plus:LicensorName", "XMP:LicensorName", OWNER],
    ["IPTC:CopyrightNotice", "IPTC:CopyrightNotice", NOTICE], ["IPTC:By-line", "IPTC:By-line", OWNER],
  ];
  // One of each container ExifTool rewrites differently: DNG and CR2 (TIFF), CR3 (QuickTime), RAF.
  const KEPT_ROWS = ["DNG built by the suite (real sensor data)", "CR2 (Canon EOS 350D)", "CR3 (Canon EOS M50)", "RAF (Fujifilm S5Pro)"];

  it.each(rows.filter((r) => KEPT_ROWS.includes(r.name)))("$name: the rights fields stay, the marker goes, raw data byte-equal", async (row) => {
    const dir = await fs.mkdtemp(path.join(tmp, "rights-"));
    const input = await row.make(dir);
    // The generator planted the marker in the rights fields too: the owner's notice replaces it there.
    await exiftool(["-q", "-q", "-m", "-overwrite_original", "-XMP-dc:Creator=", ...RIGHTS.map(([w, , v]) => `-${w}=${v}`), input]);
    const original = await tags(input);
    // What the format holds (a CR3 has no IPTC).
    const planted = RIGHTS.filter(([, r, v]) => original[r] === v);
    expect(planted.map(([, r]) => r)).toEqual(expect.arrayContaining(["EXIF:Copyright", "EXIF:Artist", "XMP:Rights", "XMP:Creator"]));
    expect(await findMarker(input, MARKER)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, input, path.basename(input), { keep: "copyright" });
    expect(status, JSON.stringify(body)).toBe(200);
    const output = path.join(dir, `clean${path.extname(input)}`);
    await fs.writeFile(output, cleaned!);
    expect(await findMarker(output, MARKER)).toEqual([]);
    const after = await tags(output);
    const remaining = body["remaining"] as Record<string, Record<string, unknown>>;
    for (const [, read, value] of planted) {
      expect(after[read], read).toBe(value);
      const [group, tag] = read.split(":") as [string, string];
      expect(remaining[group.toLowerCase()]?.[tag], `remaining shows ${read}`).toBe(value);
    }
    // Nothing else of XMP or IPTC: what ExifTool adds when it creates those blocks was trimmed.
    expect(Object.keys(after).filter((k) => /^(XMP|IPTC):/.test(k) && !planted.some(([, r]) => r === k))).toEqual([]);
    expect(await rawDataHash(output)).toBe(await rawDataHash(input));
    if (row.renders === true) expect((await run(DCRAW, ["-4", "-c", output])).stdout.equals((await run(DCRAW, ["-4", "-c", input])).stdout)).toBe(true);
  });
});

describe("camera raws the service refuses, in words", () => {
  it.each([
    ["Sigma.x3f", /^This is a Sigma X3F camera raw photo\. /],
    ["an uncompressed raw in a plain TIFF container", /^This is a camera raw photo stored in a TIFF container .*Cleaning it as a plain TIFF would lose the raw picture data/],
  ] as const)("%s: 422 with a sentence, no download", async (name, sentence) => {
    const dir = await fs.mkdtemp(path.join(tmp, "refused-"));
    const input = name.includes(" ") ? await makeDng(dir, MARKER, TIFF_RAW) : await rawSample(dir, name, MARKER);
    const { status, body, cleaned } = await removeViaApi(server, input);
    expect(status).toBe(422);
    expect(body["error"]).toMatch(sentence);
    expect(cleaned).toBeNull();
  });
});
