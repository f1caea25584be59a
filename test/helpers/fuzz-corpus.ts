import fs from "node:fs/promises";
import path from "node:path";
import { makeGif, makeHeif, makeJpeg, makePng, makeSvg, makeTiff, makeWebp } from "./make-images.js";
import { makeBmp, makeJxl, makePhotoshopPsd } from "./make-formats.js";
import { makeMarkedAv } from "./make-av-formats.js";
import { makeMarkedMedia, type MediaKind } from "./make-media.js";
import { makeMarkedJpeg, makeOffice, type OfficeKind } from "./make-office.js";
import { makeMarkedPdf } from "./make-pdf.js";
import { makeEmf, makeWmf } from "./make-legacy-pictures.js";
import { makeSmartObjectPsd } from "./make-psd-layers.js";
import { makeMarkedRtf } from "./make-rtf.js";
import { handZip, makeTar } from "./make-archives.js";
import { makeMarkedEpub } from "./make-epub.js";
import { makeMarkedLegacyOffice } from "./make-legacy-office.js";
import { connectionsPart, makeXlsb } from "./make-xlsb.js";

/** A valid file of one supported type, carrying `marker` in its metadata. */
export interface Seed {
  name: string;
  bytes: Buffer;
  /**
   * The marker is not checked in its copies, only that the service answers, in time, and lives.
   * RTF: a flipped bit turns a metadata field into text the document shows (`{\info` damaged:
   * its title becomes text) and readers disagree on what a damaged file shows (LibreOffice hides
   * some text the specification shows). Its marker is checked by its own tests.
   */
  answersOnly?: true;
  /**
   * Where a copy keeps what its own structure calls content, left out of the marker check. PSD:
   * a mutated section length (a zero run over the layer section's) makes what were layer records
   * the composite image's raw pixels, which every reader shows and a cleaner must keep.
   */
  content?: (copy: Buffer) => { start: number; end: number } | null;
}

/** A PSD's composite image data: everything after its header and three length-prefixed sections. */
function psdImageData(copy: Buffer): { start: number; end: number } | null {
  let at = 26;
  for (let section = 0; section < 3; section++) {
    if (at + 4 > copy.length) return null;
    at += 4 + copy.readUInt32BE(at);
  }
  return at < copy.length ? { start: at, end: copy.length } : null;
}

const MEDIA: readonly MediaKind[] = ["mp3", "aac", "flac", "wav", "m4a", "mp4", "mkv", "ogg", "avi", "mov", "3gp", "webm", "opus", "mka"];
const AV = ["aiff", "aifc", "ape", "wma", "wmv", "flv", "ts", "wv", "mpg"] as const;
const OFFICE: readonly OfficeKind[] = ["docx", "xlsx", "pptx", "odt", "ods", "odp"];

/**
 * One valid, metadata-laden file of every family the service cleans, made by the same helpers
 * the cleaners' own tests use. Each is made in a folder of its own: some helpers use fixed names.
 */
export async function makeCorpus(dir: string, marker: string): Promise<Seed[]> {
  const makers: Array<[string, (d: string) => Promise<string | Buffer>]> = [
    ["photo.jpg", (d) => makeJpeg(d, marker)],
    ["image.png", (d) => makePng(d, marker)],
    ["scan.tif", (d) => makeTiff(d, marker)],
    ["anim.gif", (d) => makeGif(d, marker)],
    ["pic.webp", (d) => makeWebp(d, marker, false)],
    ["drawing.svg", (d) => makeSvg(d, marker, "Visible")],
    ["report.pdf", (d) => makeMarkedPdf(d, "plain", marker)],
    ["layers.psd", async (d) => makeSmartObjectPsd(d, marker, await makeMarkedJpeg(d, marker))],
    ...MEDIA.map((k): [string, (d: string) => Promise<string>] => [`media.${k}`, (d) => makeMarkedMedia(d, k, marker)]),
    ...OFFICE.map((k): [string, (d: string) => Promise<Buffer>] => [
      `doc.${k}`,
      async (d) => (await makeOffice(k, marker, await makeMarkedJpeg(d, marker))).bytes,
    ]),
    ["book.xlsb", () => makeXlsb(marker, { noteAuthor: `${marker}Author`, extraParts: [["xl/connections.bin", connectionsPart(marker), "connections"]] })],
    ...(["doc", "xls", "ppt"] as const).map((k): [string, (d: string) => Promise<string>] => [`old.${k}`, async (d) => makeMarkedLegacyOffice(d, k, marker, [await makeMarkedJpeg(d, marker)])]),
    ["book.epub", async (d) => makeMarkedEpub(marker, await makeMarkedJpeg(d, marker))],
    ["photos.zip", async (d) => handZip([{ name: "photo.jpg", data: await makeMarkedJpeg(d, marker), comment: `${marker} member` }, { name: "notes.txt", data: Buffer.from("plain words\n"), deflate: true }], `${marker} archive`)],
    ["photos.tar", async (d) => makeTar([{ name: "photo.jpg", data: await makeMarkedJpeg(d, marker), owner: marker, pax: { comment: `${marker} comment` } }])],
    ["photo.heic", (d) => makeHeif(d, marker, "heic", { jpegThumbnail: true })],
    ["photo.avif", (d) => makeHeif(d, marker, "avif")],
    ["photo.jxl", (d) => makeJxl(d, marker)],
    ["pic.bmp", (d) => makeBmp(d, marker, false)],
    ["layers2.psd", (d) => makePhotoshopPsd(d, marker)],
    ...AV.map((k): [string, (d: string) => Promise<string>] => [`av.${k}`, (d) => makeMarkedAv(d, k, marker)]),
  ];
  const seeds: Seed[] = [];
  for (const [name, make] of makers) {
    const sub = await fs.mkdtemp(path.join(dir, "seed-"));
    const made = await make(sub);
    seeds.push({ name, bytes: typeof made === "string" ? await fs.readFile(made) : made, ...(name.endsWith(".psd") ? { content: psdImageData } : {}) });
  }
  // An RTF as LibreOffice writes it, with Word's metadata groups added (make-rtf.ts).
  const rtf = await makeMarkedRtf(await fs.mkdtemp(path.join(dir, "seed-")), { marker, note: `${marker}Note`, gone: `${marker}Gone`, inserted: "Inserted" });
  seeds.push({ name: "doc.rtf", bytes: await fs.readFile(rtf), answersOnly: true });
  seeds.push({ name: "drawing.emf", bytes: makeEmf(marker) }, { name: "drawing.wmf", bytes: makeWmf(marker) });
  return seeds;
}
