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
});
