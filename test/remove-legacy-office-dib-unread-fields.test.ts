import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LegacyKind, legacyOfficePictures } from "./helpers/make-legacy-office.js";
import { bareDibBlip, eachView, makeLegacyOfficeWithBlips } from "./helpers/make-legacy-pictures.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

/*
 * A bitmap (DIB) inside an Office 97-2003 file lost only its colour profile, while a .bmp file
 * loses every byte no reader draws from: a V4 or V5 header's colour endpoints and gamma where its
 * colour space does not use them (48 bytes), V5's reserved word, an info header's bytes past V5's
 * fields (a DIB whose header said 1000 bytes was not cleaned at all) and the colour table
 * entries' fourth bytes. A marker planted in each came back in the cleaned document.
 */

const MARKER = `Dibfield${crypto.randomBytes(6).toString("hex")}`;
/** The document's own properties' marker: not the pictures'. */
const DOC_MARKER = `Docdib${crypto.randomBytes(6).toString("hex")}`;
/** Four bytes for V5's reserved word. */
const SHORT = Buffer.from("Wq4%", "latin1");
const V5 = 124;
const CS_TYPE = 56;
const ENDPOINTS = 60;
const RESERVED = 120;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-legacy-dib-fields-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `n` bytes of the marker as text, over and over (UTF-8 and UTF-16). */
function planted(n: number): Buffer {
  return Buffer.alloc(n, Buffer.concat([Buffer.from(` ${MARKER} `), Buffer.from(MARKER, "utf16le")]));
}

/** A small BMP drawn by ImageMagick (pictures of their own: LibreOffice keeps one of equal ones); its file and its DIB. */
async function drawn(name: string, seed: string, format: string, args: readonly string[]): Promise<{ file: string; dib: Buffer }> {
  const file = path.join(dir, `${name}.bmp`);
  await run(CONVERT, ["-seed", seed, "-size", "24x18", "plasma:fractal", "-depth", "8", ...args, `${format}:${file}`]);
  return { file, dib: Buffer.from((await fs.readFile(file)).subarray(14)) };
}

/** The fourth byte of each entry of the DIB's colour table after its 40-byte header `info`, in every stream of `doc`. */
function tableFourthBytes(doc: Buffer, info: Buffer, entries: number): number[][] {
  const found: number[][] = [];
  eachView(CFB.read(doc, { type: "buffer" }), (view) => {
    for (let at = view.indexOf(info); at >= 0; at = view.indexOf(info, at + 1)) {
      found.push(Array.from({ length: entries }, (_, i) => view[at + info.length + 4 * i + 3]!));
    }
  });
  return found;
}

describe("POST /api/v1/remove on Office 97-2003 files holding bitmaps (DIB) with bytes no reader draws from", () => {
  it.each<LegacyKind>(["doc", "xls", "ppt"])("%s: endpoints and gamma, V5's reserved word, a header's bytes past V5 and the colour table's fourth bytes become zeros; the pictures stay", async (kind) => {
    // A V5 header saying sRGB, with the marker in its endpoints and gamma and its reserved word.
    const v5 = await drawn(`v5-${kind}`, "3", "BMP", ["-type", "TrueColor"]);
    expect(v5.dib.readUInt32LE(0)).toBe(V5);
    v5.dib.write("BGRs", CS_TYPE, "latin1");
    planted(48).copy(v5.dib, ENDPOINTS);
    SHORT.copy(v5.dib, RESERVED);
    // A header stated as 1000 bytes, the marker past V5's fields.
    const long = await drawn(`long-${kind}`, "4", "BMP", ["-type", "TrueColor"]);
    long.dib.write("BGRs", CS_TYPE, "latin1");
    const longDib = Buffer.concat([long.dib.subarray(0, V5), planted(1000 - V5), long.dib.subarray(V5)]);
    longDib.writeUInt32LE(1000, 0);
    // An 8-bit picture whose colour table's fourth bytes spell the marker.
    const palette = await drawn(`palette-${kind}`, "5", "BMP3", ["-type", "Palette"]);
    expect(palette.dib.readUInt32LE(0)).toBe(40);
    expect(palette.dib.readUInt16LE(14)).toBe(8);
    const entries = palette.dib.readUInt32LE(32) || 256;
    const spelt = Buffer.alloc(entries, MARKER);
    for (let i = 0; i < entries; i++) palette.dib[40 + 4 * i + 3] = spelt[i]!;

    const file = await makeLegacyOfficeWithBlips(dir, kind, DOC_MARKER, [v5.dib, longDib, palette.dib].map(bareDibBlip));
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect((await fs.readFile(file)).includes(SHORT)).toBe(true);
    const info = palette.dib.subarray(0, 40);
    expect(tableFourthBytes(await fs.readFile(file), info, entries)).toEqual([[...spelt]]);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.includes(SHORT)).toBe(false);
    expect(tableFourthBytes(cleaned!, info, entries)).toEqual([Array<number>(entries).fill(0)]);
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);
    expect(await legacyOfficePictures(dir, kind, out)).toEqual((await Promise.all([v5, long, palette].map((b) => pixelSignature(b.file)))).sort());
  }, 120_000);
});
