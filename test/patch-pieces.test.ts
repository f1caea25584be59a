import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patchPieces, type Piece, type PieceSource } from "../src/cleaners/media/patch-pieces.js";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-patch-pieces-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A packet layout like MPEG-TS: 188-byte packets, a 4-byte header, then 184 bytes of payload. */
const PACKET = 188;
const HEADER = 4;
/** Packets read at a time: the patcher scans once it holds 4 MiB, here after five chunks. */
const CHUNK_PACKETS = 5_001;
const CHUNK_PAYLOAD = CHUNK_PACKETS * (PACKET - HEADER);
const packets: PieceSource = async function* (fh) {
  const { size } = await fh.stat();
  const chunk = PACKET * CHUNK_PACKETS;
  for (let base = 0; base < size; base += chunk) {
    const buf = Buffer.alloc(Math.min(chunk, size - base));
    await fh.read(buf, 0, buf.length, base);
    const pieces: Piece[] = [];
    for (let p = 0; p + PACKET <= buf.length; p += PACKET) pieces.push({ at: base + p + HEADER, bytes: buf.subarray(p + HEADER, p + PACKET) });
    yield pieces;
  }
};

/** Writes `payload` into the packets' payload bytes, headers (0x47 and three fixed bytes) in between. */
function packetize(payload: Buffer): Buffer {
  const n = Math.ceil(payload.length / (PACKET - HEADER));
  const out = Buffer.alloc(n * PACKET, 0xee);
  for (let k = 0; k < n; k++) {
    out.set([0x47, 0x01, 0x00, 0x10], k * PACKET);
    payload.copy(out, k * PACKET + HEADER, k * (PACKET - HEADER), (k + 1) * (PACKET - HEADER));
  }
  return out;
}

describe("patchPieces", () => {
  it("replaces a unit cut over packets wherever it falls: across packets, chunks and scanned windows, at the very end", async () => {
    const unit = Buffer.concat([Buffer.from("SEI-UNIT-"), crypto.randomBytes(700)]);
    const to = Buffer.alloc(unit.length, 0xff);
    const payload = crypto.randomBytes(11 * CHUNK_PAYLOAD + 3_000);
    // Running over the end of the first and second scanned windows (five chunks each), inside
    // one packet, over two chunks, and at the very end.
    const places = [5 * CHUNK_PAYLOAD - 350, 10 * CHUNK_PAYLOAD - 5, 1_000, 2 * CHUNK_PAYLOAD - 100, payload.length - unit.length];
    for (const at of places) unit.copy(payload, at);
    const file = path.join(dir, "packets.bin");
    const original = packetize(payload);
    await fs.writeFile(file, original);

    expect(await patchPieces(file, packets, [{ from: unit, to }])).toBe(places.length);

    const expected = Buffer.from(payload);
    for (const at of places) to.copy(expected, at);
    const after = await fs.readFile(file);
    expect(after.equals(packetize(expected))).toBe(true);
    expect(after.length).toBe(original.length);
  });

  // A camera that writes a different SEI unit on every frame (a time or a position in each):
  // tens of thousands of patches, all alike at their start, found in one pass.
  it("replaces 20,000 distinct units that share their first 20 bytes, in seconds", async () => {
    const common = Buffer.concat([Buffer.from([0x06, 0x05, 0x64]), crypto.randomBytes(17)]);
    const units = Array.from({ length: 20_000 }, (_, i) => Buffer.concat([common, Buffer.from(`frame ${i} `.padEnd(80 + (i % 7), "."))]));
    const payload = crypto.randomBytes(units.length * 400);
    units.forEach((u, i) => u.copy(payload, i * 400 + (i % 50)));
    const file = path.join(dir, "many.bin");
    await fs.writeFile(file, packetize(payload));
    const patches = units.map((from) => ({ from, to: Buffer.concat([from.subarray(0, 3), Buffer.alloc(from.length - 3, 0xff)]) }));

    const started = Date.now();
    expect(await patchPieces(file, packets, patches)).toBe(units.length);
    expect(Date.now() - started).toBeLessThan(15_000);
    const expected = Buffer.from(payload);
    patches.forEach(({ to }, i) => to.copy(expected, i * 400 + (i % 50)));
    expect((await fs.readFile(file)).equals(packetize(expected))).toBe(true);
  }, 60_000);
});
