import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveMetafile } from "../src/cleaners/proof/metafile-proof.js";
import { makeWmf } from "./helpers/make-legacy-pictures.js";
import { drawn, withWmfRecords, wmfRecord } from "./helpers/make-metafile-records.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

const MARKER = "BMZQ6";
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-wmf-bitmap16-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Places a WMF's device-dependent bitmaps (Bitmap16) can hide data in, where readers do not look. */
type Place = "row padding" | "after the rows" | "reserved" | "last byte's spare bits";
const PLACES: readonly Place[] = ["row padding", "after the rows", "reserved", "last byte's spare bits"];

const int16s = (...v: number[]): Buffer => {
  const b = Buffer.alloc(2 * v.length);
  v.forEach((x, i) => b.writeInt16LE(x, 2 * i));
  return b;
};

/**
 * A Bitmap16 ([MS-WMF] 2.2.2.1) of `width` x `height` pixels of `bpp` bits (1 or 24), its rows
 * (bytes a row as its head says) longer than its pixels by six bytes or more, the marker in
 * them when hiding there; its head and its rows apart (a pattern brush
 * puts reserved bytes between them). LibreOffice draws 24-bit ones as the specification says;
 * 1-bit ones it reads as 8-bit, padding included (so the pattern brush, which it does not
 * draw, is the 1-bit one).
 */
function bitmap16(width: number, height: number, bpp: 1 | 24, hide: ReadonlySet<Place>): { head: Buffer; rows: Buffer } {
  const used = Math.ceil((width * bpp) / 8);
  const stride = 2 * Math.ceil((used + MARKER.length + 1) / 2);
  const head = Buffer.concat([int16s(0, width, height, stride), Buffer.from([1, bpp])]);
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < used; i++) rows[y * stride + i] = (61 * (i + 3 * y)) & 0xff;
    // The bits of the row's last byte past its last pixel (with fewer than 8 bits a pixel).
    const spare = (1 << ((8 - ((width * bpp) % 8)) % 8)) - 1;
    rows[y * stride + used - 1] = hide.has("last byte's spare bits") ? rows[y * stride + used - 1]! | spare : rows[y * stride + used - 1]! & ~spare;
    if (hide.has("row padding")) rows.write(MARKER, y * stride + used, "latin1");
  }
  const after = Buffer.from(hide.has("after the rows") ? `${MARKER} after` : "", "latin1");
  return { head, rows: Buffer.concat([rows, after, Buffer.alloc(after.length % 2)]) };
}

/** STRETCHBLT and BITBLT with a source bitmap, and a pattern brush (selected, then a rectangle filled with it), hiding the marker in the places of `hide`. */
function records(hide: ReadonlySet<Place>): Buffer[] {
  const SRCCOPY = [0x0020, 0x00cc];
  const a = bitmap16(3, 6, 24, hide);
  const b = bitmap16(5, 4, 24, hide);
  const c = bitmap16(5, 8, 1, hide);
  const reserved = Buffer.alloc(18);
  if (hide.has("reserved")) reserved.write(`${MARKER} reserved`, "latin1");
  return [
    // Raster operation, source height, width, y, x, destination height, width, y, x; the bitmap.
    wmfRecord(0x0b23, Buffer.concat([int16s(...SRCCOPY, 6, 3, 0, 0, 40, 40, 55, 5), a.head, a.rows])),
    // Raster operation, source y, x, height, width, destination y, x; the bitmap.
    wmfRecord(0x0922, Buffer.concat([int16s(...SRCCOPY, 0, 0, 4, 5, 10, 80), b.head, b.rows])),
    wmfRecord(0x01f9, Buffer.concat([c.head, reserved, c.rows])),
    wmfRecord(0x012d, int16s(1)),
    wmfRecord(0x041b, int16s(95, 95, 60, 60)),
  ];
}

const add = (wmf: Buffer, hide: ReadonlySet<Place>): Buffer => withWmfRecords(wmf, records(hide), 1);

describe("device-dependent bitmaps (Bitmap16) inside WMF drawings", () => {
  it("a STRETCHBLT's and a BITBLT's rows' padding and bytes after their rows, a pattern brush's reserved bytes and its rows' spare bits, become zeros; the same picture drawn", async () => {
    const plain = makeWmf(MARKER);
    const original = add(plain, new Set(PLACES));
    const file = path.join(dir, "bitmap16.wmf");
    await fs.writeFile(file, original);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    // makeWmf's comment; the three bitmaps; the pattern brush's reserved bytes.
    expect(body["removed"]).toEqual({ metafileText: 1 + 3 + 1 });
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.length).toBe(original.length);
    const picture = await drawn(dir, "bitmap16.wmf", original);
    // The bitmaps are drawn: the picture is not the one without them.
    expect(picture).not.toBe(await drawn(dir, "plain.wmf", plain));
    expect(await drawn(dir, "copy-bitmap16.wmf", cleaned!)).toBe(picture);
  });

  it("the proof of a cleaned WMF fails for each place a Bitmap16 can hide data, added to a cleaned copy", async () => {
    const file = path.join(dir, "proof.wmf");
    await fs.writeFile(file, makeWmf(MARKER));
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    await fs.writeFile(file, add(cleaned!, new Set()));
    expect(await proveMetafile(file)).toBeNull();
    for (const place of PLACES) {
      await fs.writeFile(file, add(cleaned!, new Set([place])));
      expect(await proveMetafile(file), place).not.toBeNull();
    }
  });
});
