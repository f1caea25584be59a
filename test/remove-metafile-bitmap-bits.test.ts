import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveMetafile } from "../src/cleaners/proof/metafile-proof.js";
import { makeEmf, makeWmf } from "./helpers/make-legacy-pictures.js";
import { drawn, emfRecord, padded, withEmfRecords, withWmfRecords, wmfRecord, words } from "./helpers/make-metafile-records.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

const MARKER = "CTZQ5";
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-metafile-bitmap-bits-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Places of a bitmap's colour table and rows that hold bits no reader draws. */
type Place = "colour reserved bytes" | "last byte's spare bits";
const PLACES: readonly Place[] = ["colour reserved bytes", "last byte's spare bits"];
const WIDTH = 3;
const HEIGHT = 4;
/** 4 bits a pixel, 3 pixels: 12 bits, so each row's second byte has 4 bits past its last pixel; rows of 4 bytes. */
const STRIDE = 4;

/**
 * A packed 4-bit DIB (V1 header, four colours) whose colours' reserved bytes hold the marker's
 * letters and whose rows' last bytes carry bits past their last pixel (the marker's letters'
 * low nibbles), in the places of `hide`; says where those bytes lie in it.
 */
function dib(hide: ReadonlySet<Place>): { header: Buffer; bits: Buffer; reserved: number[]; lastBytes: number[] } {
  const colours = words(0x0000c0, 0x00c000, 0xc00000, 0xc0c0c0);
  const reserved = [3, 7, 11, 15].map((at) => 40 + at);
  if (hide.has("colour reserved bytes")) [3, 7, 11, 15].forEach((at, i) => (colours[at] = MARKER.charCodeAt(i)));
  const header = Buffer.concat([words(40, WIDTH, HEIGHT), Buffer.from([1, 0, 4, 0]), words(0, STRIDE * HEIGHT, 0, 0, 4, 0), colours]);
  const bits = Buffer.alloc(STRIDE * HEIGHT);
  const lastBytes: number[] = [];
  for (let y = 0; y < HEIGHT; y++) {
    bits[y * STRIDE] = 0x01 + 0x10 * ((y + 2) % 4);
    bits[y * STRIDE + 1] = 0x10 * (y % 4) + (hide.has("last byte's spare bits") ? MARKER.charCodeAt(y) & 0x0f : 0);
    lastBytes.push(y * STRIDE + 1);
  }
  return { header, bits, reserved, lastBytes };
}

/** A DIB's header (with its colour table) and bits. */
interface Dib {
  header: Buffer;
  bits: Buffer;
}

/** STRETCHDIBITS ([MS-EMF] 2.3.1.7) of the DIB `d` into a 40x40 square; says where its header and bits start in the record. */
function emfStretch(d: Dib): { record: Buffer; headerAt: number; bitsAt: number } {
  const bitsAt = 80 + padded(d.header).length;
  const head = words(50, 50, 90, 90, 50, 50, 0, 0, WIDTH, HEIGHT, 80, d.header.length, bitsAt, d.bits.length, 0, 0x00cc0020, 40, 40);
  return { record: emfRecord(81, head, padded(d.header), d.bits), headerAt: 80, bitsAt };
}

/** STRETCHDIB ([MS-WMF] 2.3.1.6) of the DIB `d`, packed, into a 40x40 square; says where its header and bits start in the record. */
function wmfStretch(d: Dib): { record: Buffer; headerAt: number; bitsAt: number } {
  const params = Buffer.alloc(22);
  params.writeUInt32LE(0x00cc0020, 0);
  [0, HEIGHT, WIDTH, 0, 0, 40, 40, 50, 50].forEach((v, i) => params.writeInt16LE(v, 4 + 2 * i));
  return { record: wmfRecord(0x0f43, Buffer.concat([params, d.header, d.bits])), headerAt: 28, bitsAt: 28 + d.header.length };
}

function emfBitmap(hide: ReadonlySet<Place>): { record: Buffer; headerAt: number; bitsAt: number; d: ReturnType<typeof dib> } {
  const d = dib(hide);
  return { ...emfStretch(d), d };
}

function wmfBitmap(hide: ReadonlySet<Place>): { record: Buffer; headerAt: number; bitsAt: number; d: ReturnType<typeof dib> } {
  const d = dib(hide);
  return { ...wmfStretch(d), d };
}

/** `original` through the service as `name`: a 200 with nothing left, the copy as long as it. */
async function removedWith(name: string, original: Buffer): Promise<{ original: Buffer; cleaned: Buffer }> {
  const file = path.join(dir, name);
  await fs.writeFile(file, original);
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  expect(cleaned!.length).toBe(original.length);
  return { original, cleaned: cleaned! };
}

const cases = [
  ["bits.emf", makeEmf(MARKER), emfBitmap, (base: Buffer, r: Buffer) => withEmfRecords(base, [r]), 20],
  ["bits.wmf", makeWmf(MARKER), wmfBitmap, (base: Buffer, r: Buffer) => withWmfRecords(base, [r], 0), 6],
] as const;

describe("bits of a drawing's bitmaps that no reader draws", () => {
  it.each(cases)("%s: a colour's reserved byte and the bits of a row's last byte past its pixels become zeros, the same picture drawn", async (name, plain, bitmap, add, eof) => {
    const { record, headerAt, bitsAt, d } = bitmap(new Set(PLACES));
    const { original, cleaned } = await removedWith(name, add(plain, record));
    const at = plain.length - eof;
    for (const r of d.reserved) expect(original[at + headerAt + r], `reserved byte ${r}`).not.toBe(0);
    for (const r of d.reserved) expect(cleaned[at + headerAt + r], `reserved byte ${r}`).toBe(0);
    for (const b of d.lastBytes) expect(original[at + bitsAt + b]! & 0x0f, `row byte ${b}`).not.toBe(0);
    for (const b of d.lastBytes) expect(cleaned[at + bitsAt + b], `row byte ${b}`).toBe(original[at + bitsAt + b]! & 0xf0);
    const picture = await drawn(dir, name, original);
    // The bitmap is drawn: the picture is not the one without it.
    expect(picture).not.toBe(await drawn(dir, `plain-${name}`, plain));
    expect(await drawn(dir, `copy-${name}`, cleaned)).toBe(picture);
  });

  it.each(cases)("the proof of a cleaned %s fails for each place, added to a cleaned copy", async (name, plain, bitmap, add) => {
    const file = path.join(dir, `proof-${name}`);
    await fs.writeFile(file, plain);
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    await fs.writeFile(file, add(cleaned!, bitmap(new Set()).record));
    expect(await proveMetafile(file)).toBeNull();
    for (const place of PLACES) {
      await fs.writeFile(file, add(cleaned!, bitmap(new Set([place])).record));
      expect(await proveMetafile(file), place).not.toBeNull();
    }
  });
});

/*
 * A bitmap of more than 8 bits a pixel holds its colours in its pixels: a colour table stated
 * for it is a hint for 256-colour displays that GDI does not draw from. An EMF record's went into
 * the clean copy as it was (as in a .bmp before 89b049c). A WMF record's packed DIB has no offset
 * for its bits: LibreOffice draws such a table as the first rows, so it stays, the picture the same.
 */
const TABLE_TEXT = "a writer's own bytes in a true-colour bitmap's colour table, three in four";

/** A packed 24-bit DIB (V1 header), 3x4 pixels, stating 16 colours: text in their blue, green and red bytes when `marked`, else zeros. */
function trueColourDib(marked: boolean): Dib {
  const table = Buffer.alloc(16 * 4);
  for (let i = 0; marked && i < 16 * 3; i++) table[4 * Math.floor(i / 3) + (i % 3)] = TABLE_TEXT.charCodeAt(i % TABLE_TEXT.length);
  const stride = 12;
  const header = Buffer.concat([words(40, WIDTH, HEIGHT), Buffer.from([1, 0, 24, 0]), words(0, stride * HEIGHT, 0, 0, 16, 0), table]);
  const bits = Buffer.alloc(stride * HEIGHT);
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < 3 * WIDTH; x++) bits[y * stride + x] = (40 * y + 25 * x) & 0xff;
  return { header, bits };
}

/** The true-colour DIB as STRETCHDIBITS (EMF) or STRETCHDIB (WMF); says where its table lies in the record. */
function trueColourRecord(kind: "emf" | "wmf", marked: boolean): { record: Buffer; tableAt: number } {
  const { record, headerAt } = (kind === "emf" ? emfStretch : wmfStretch)(trueColourDib(marked));
  return { record, tableAt: headerAt + 40 };
}

const trueColourCases = [
  ["table.emf", "emf", makeEmf(MARKER), (base: Buffer, r: Buffer) => withEmfRecords(base, [r]), 20],
  ["table.wmf", "wmf", makeWmf(MARKER), (base: Buffer, r: Buffer) => withWmfRecords(base, [r], 0), 6],
] as const;

describe("the colour table of a drawing's true-colour bitmap", () => {
  it.each(trueColourCases)("%s: becomes zeros in an EMF record (stays in a WMF one), the same picture drawn", async (name, kind, plain, add, eof) => {
    const { record, tableAt } = trueColourRecord(kind, true);
    const { original, cleaned } = await removedWith(name, add(plain, record));
    const table = (b: Buffer): Buffer => b.subarray(plain.length - eof + tableAt, plain.length - eof + tableAt + 16 * 4);
    expect(table(original).toString("latin1")).toContain(TABLE_TEXT.slice(0, 3));
    expect(table(cleaned).equals(kind === "emf" ? Buffer.alloc(16 * 4) : table(original))).toBe(true);
    const picture = await drawn(dir, name, original);
    expect(picture).not.toBe(await drawn(dir, `plain-${name}`, plain));
    expect(await drawn(dir, `copy-${name}`, cleaned)).toBe(picture);
  });

  it.each(trueColourCases)("the proof of a cleaned %s fails when such a table is added to an EMF record", async (name, kind, plain, add) => {
    const file = path.join(dir, `proof-table-${name}`);
    await fs.writeFile(file, plain);
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    await fs.writeFile(file, add(cleaned!, trueColourRecord(kind, false).record));
    expect(await proveMetafile(file)).toBeNull();
    await fs.writeFile(file, add(cleaned!, trueColourRecord(kind, true).record));
    expect((await proveMetafile(file)) == null).toBe(kind === "wmf");
  });
});
