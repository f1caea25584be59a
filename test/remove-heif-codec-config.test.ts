import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { appendInMetaBox, childBoxes, heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { identificationSeiNal } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A HEIC's or AVIF's codec configuration is an item property (`hvcC`, `av1C` in `ipco`), which
 * neither ExifTool's rewrite nor the in-place blanking touches, and which decoders read only as
 * far as its fields go: an HEVC record's arrays may hold SEI units (user data: any text), bytes
 * may follow its last array, and an AV1 record's `configOBUs` may hold metadata OBUs (ITU-T T.35:
 * any text), which libheif hands to the decoder before the picture's own.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-config-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The `hvcC` property's array count (its 23rd byte) raised by one, for an array appended after the others. */
function withOneMoreArray(file: Buffer): Buffer {
  const b = Buffer.from(file);
  const meta = childBoxes(b, 0, b.length).find((x) => x.type === "meta")!;
  const iprp = childBoxes(b, meta.at + 12, meta.at + meta.size).find((x) => x.type === "iprp")!;
  const ipco = childBoxes(b, iprp.at + 8, iprp.at + iprp.size).find((x) => x.type === "ipco")!;
  const hvcc = childBoxes(b, ipco.at + 8, ipco.at + ipco.size).find((x) => x.type === "hvcC")!;
  b[hvcc.at + 8 + 22]!++;
  return b;
}

/** An `hvcC` array (ISO/IEC 14496-15 8.3.3.1) of one prefix SEI unit. */
function seiArray(nal: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x80 | 39, 0, 1, nal.length >> 8, nal.length & 0xff]), nal]);
}

/** An AV1 metadata OBU (with its size) of type ITU-T T.35 whose payload holds `text`. */
function t35MetadataObu(text: string): Buffer {
  const payload = Buffer.concat([Buffer.from([4, 0xb5]), Buffer.from(text, "latin1"), Buffer.from([0x80])]);
  if (payload.length > 127) throw new Error("a one-byte OBU size is enough here");
  return Buffer.concat([Buffer.from([(5 << 3) | 0x02, payload.length]), payload]);
}

const cases: Array<{ kind: "heic" | "avif"; what: string; plant: (file: Buffer, marker: string) => Buffer }> = [
  { kind: "heic", what: "bytes past the hvcC's arrays", plant: (f, m) => appendInMetaBox(f, ["iprp", "ipco", "hvcC"], Buffer.from(` ${m} `, "latin1")) },
  { kind: "heic", what: "an SEI array in the hvcC", plant: (f, m) => withOneMoreArray(appendInMetaBox(f, ["iprp", "ipco", "hvcC"], seiArray(identificationSeiNal(m, "hevc")))) },
  { kind: "avif", what: "a metadata OBU in the av1C", plant: (f, m) => appendInMetaBox(f, ["iprp", "ipco", "av1C"], t35MetadataObu(m)) },
];

describe("POST /api/v1/remove on a HEIC/AVIF whose codec configuration property carries text", () => {
  it.each(cases)("$kind, $what: it does not reach the copy, pixels identical", async ({ kind, plant }) => {
    const marker = `Heifcfg${crypto.randomBytes(6).toString("hex")}`;
    const file = await makeHeif(dir, `Exif${crypto.randomBytes(4).toString("hex")}`, kind);
    const planted = path.join(dir, `planted-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(planted, plant(await fs.readFile(file), marker));
    expect(await findMarker(planted, marker)).not.toEqual([]);
    const pixels = await heifPixelSignature(planted);
    expect(pixels).toBe(await heifPixelSignature(file));

    await expectHeifCleanedSamePixels(server, planted, marker, pixels);
  }, 60_000);
});
