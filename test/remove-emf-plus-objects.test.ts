import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proveMetafile } from "../src/cleaners/proof/metafile-proof.js";
import { EMF_PLUS_PLACES, type EmfPlusPlace, emfPlusDrawing } from "./helpers/make-emf-plus-objects.js";
import { makeEmf } from "./helpers/make-legacy-pictures.js";
import { drawn, emfComment, emfPlusRecord, padded, withEmfRecords, words } from "./helpers/make-metafile-records.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

const MARKER = "EPZQ8";
/** What the reserved words of a font and of image attributes hold when hiding there. */
const RESERVED = "RSV8";
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-emf-plus-objects-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("EMF+ objects and records of running data", () => {
  it("bytes past a brush, a pen's brush, a path's point types, a font's name, a string format, a region, points, a string, rectangles and an effect's parameters, and reserved words, become zeros; the same picture drawn", async () => {
    const plain = makeEmf(MARKER);
    const original = withEmfRecords(plain, emfPlusDrawing(MARKER, RESERVED, new Set(EMF_PLUS_PLACES)));
    for (const place of EMF_PLUS_PLACES.filter((p) => !p.endsWith("reserved") && p !== "image attributes")) expect(original.includes(`${MARKER} ${place}`) || original.includes(Buffer.from(`${MARKER} ${place}`, "utf16le")), place).toBe(true);
    const file = path.join(dir, "objects.emf");
    await fs.writeFile(file, original);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    // makeEmf's three texts; seven objects and five records of running data.
    expect(body["removed"]).toEqual({ metafileText: 3 + 7 + 5 });
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.includes(RESERVED)).toBe(false);
    expect(cleaned!.length).toBe(original.length);
    const picture = await drawn(dir, "objects.emf", original);
    // The EMF+ records are drawn: the picture is not the one without them.
    expect(picture).not.toBe(await drawn(dir, "plain.emf", plain));
    expect(await drawn(dir, "copy-objects.emf", cleaned!)).toBe(picture);
  });

  it("the proof of a cleaned drawing fails for each place an EMF+ object or record can hide data, added to a cleaned copy", async () => {
    const file = path.join(dir, "proof.emf");
    await fs.writeFile(file, makeEmf(MARKER));
    const { status, cleaned } = await removeViaApi(server, file);
    expect(status).toBe(200);
    await fs.writeFile(file, withEmfRecords(cleaned!, emfPlusDrawing(MARKER, RESERVED, new Set())));
    expect(await proveMetafile(file)).toBeNull();
    for (const place of EMF_PLUS_PLACES) {
      await fs.writeFile(file, withEmfRecords(cleaned!, emfPlusDrawing(MARKER, RESERVED, new Set<EmfPlusPlace>([place]))));
      expect(await proveMetafile(file), place).not.toBeNull();
    }
  });

  it("an object whose every piece says it is continued (its last never comes) is walked as far as it goes, and proved so", async () => {
    // A font (version, size, unit, style, reserved, the name's length, the name), text after its name, flagged continued after its whole size.
    const font = padded(Buffer.concat([words(0xdbc01002, 0x41c00000, 2, 0, 0, 5), Buffer.from("Arial", "utf16le"), Buffer.from(`${MARKER} after the name`, "latin1")]));
    const piece = emfPlusRecord(0x4008, Buffer.concat([words(font.length), font]));
    piece.writeUInt16LE(0x8000 | (6 << 8), 2);
    const dangling = emfComment(Buffer.from("EMF+", "latin1"), piece);
    const file = path.join(dir, "dangling.emf");
    await fs.writeFile(file, withEmfRecords(makeEmf(MARKER), [dangling]));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.includes(Buffer.from("Arial", "utf16le"))).toBe(true);
    // The proof: the same object added to a cleaned drawing.
    await fs.writeFile(file, makeEmf(MARKER));
    const plain = await removeViaApi(server, file);
    expect(plain.status).toBe(200);
    await fs.writeFile(file, withEmfRecords(plain.cleaned!, [dangling]));
    expect(await proveMetafile(file)).not.toBeNull();
  });

  it("an image object whose picture file is of no format a reader decodes (text) becomes zeros, and the proof fails on it", async () => {
    // Version, bitmap, 16 x 16, stride, format, compressed; then the "file".
    const image = padded(Buffer.concat([words(0xdbc01002, 1, 16, 16, 0, 0x0022200a, 1), Buffer.from(`${MARKER} not a picture at all`, "latin1")]));
    const record = emfPlusRecord(0x4008, image);
    record.writeUInt16LE(5 << 8, 2);
    const opaque = emfComment(Buffer.from("EMF+", "latin1"), record);
    const file = path.join(dir, "opaque.emf");
    await fs.writeFile(file, withEmfRecords(makeEmf(MARKER), [opaque]));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    await fs.writeFile(file, makeEmf(MARKER));
    const plain = await removeViaApi(server, file);
    await fs.writeFile(file, withEmfRecords(plain.cleaned!, [opaque]));
    expect(await proveMetafile(file)).not.toBeNull();
  });
});
