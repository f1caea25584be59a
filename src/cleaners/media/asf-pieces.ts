import type { FileHandle } from "node:fs/promises";
import { guid } from "../guid-bytes.js";
import type { Piece, PieceSource } from "./patch-pieces.js";

const HEADER_OBJECT = guid("75B22630-668E-11CF-A6D9-00AA0062CE6C");
const FILE_PROPERTIES_OBJECT = guid("8CABDCA1-A947-11CF-8EE4-00C00C205365");
const DATA_OBJECT = guid("75B22636-668E-11CF-A6D9-00AA0062CE6C");
/** Data packets read at a time. */
const PACKETS_PER_CHUNK = 1024;

/**
 * The payload of one stream (by stream number) of an ASF file, as the pieces its fixed-size data
 * packets cut it into (ASF specification 5.2: payload parsing information, then one payload or
 * several, each with its own header and replicated data). A compressed payload is an error:
 * ffmpeg's muxer, which wrote the file, never makes one.
 */
export function asfPayloadPieces(streamNumber: number): PieceSource {
  return async function* (fh: FileHandle) {
    const { packetSize, first, count } = await dataPackets(fh);
    for (let n = 0; n < count; n += PACKETS_PER_CHUNK) {
      const k = Math.min(PACKETS_PER_CHUNK, count - n);
      const base = first + n * packetSize;
      const buf = Buffer.alloc(k * packetSize);
      const { bytesRead } = await fh.read(buf, 0, buf.length, base);
      if (bytesRead < buf.length) throw new Error("the ASF data object is shorter than its packet count");
      const pieces: Piece[] = [];
      for (let p = 0; p < k; p++) {
        for (const [from, to] of payloadsOf(buf.subarray(p * packetSize, (p + 1) * packetSize), streamNumber)) {
          pieces.push({ at: base + p * packetSize + from, bytes: buf.subarray(p * packetSize + from, p * packetSize + to) });
        }
      }
      yield pieces;
    }
  };
}

/** The packet size (file properties) and where the data packets start and how many there are. */
async function dataPackets(fh: FileHandle): Promise<{ packetSize: number; first: number; count: number }> {
  const top = Buffer.alloc(30);
  await fh.read(top, 0, 30, 0);
  if (!top.subarray(0, 16).equals(HEADER_OBJECT)) throw new Error("not an ASF file: no header object");
  const headerSize = Number(top.readBigUInt64LE(16));
  const header = Buffer.alloc(headerSize + 50);
  const { bytesRead } = await fh.read(header, 0, header.length, 0);
  if (bytesRead < header.length) throw new Error("the ASF file ends in its header");
  let packetSize = 0;
  for (let at = 30; at + 24 <= headerSize; ) {
    const size = Number(header.readBigUInt64LE(at + 16));
    if (size < 24) throw new Error("an ASF header object with a bad size");
    if (header.subarray(at, at + 16).equals(FILE_PROPERTIES_OBJECT)) {
      packetSize = header.readUInt32LE(at + 92);
      if (header.readUInt32LE(at + 96) !== packetSize) throw new Error("ASF data packets of varying size");
    }
    at += size;
  }
  if (packetSize === 0) throw new Error("no ASF file properties object");
  const data = header.subarray(headerSize);
  if (!data.subarray(0, 16).equals(DATA_OBJECT)) throw new Error("no ASF data object after the header");
  return { packetSize, first: headerSize + 50, count: Number(data.readBigUInt64LE(40)) };
}

/** [from, to) of each payload of `stream` in one data packet. */
function payloadsOf(pkt: Buffer, stream: number): Array<[number, number]> {
  let q = 0;
  const readSized = (type: number): number => {
    const v = type === 0 ? 0 : type === 1 ? pkt.readUInt8(q) : type === 2 ? pkt.readUInt16LE(q) : pkt.readUInt32LE(q);
    q += type === 3 ? 4 : type;
    return v;
  };
  const ecc = pkt.readUInt8(0);
  if ((ecc & 0x80) !== 0) {
    if ((ecc & 0x60) !== 0) throw new Error("an ASF packet with an unknown error correction length type");
    q = 1 + (ecc & 0x0f);
  }
  const flags = pkt.readUInt8(q++);
  const props = pkt.readUInt8(q++);
  const packetLength = readSized((flags >> 5) & 3) || pkt.length;
  readSized((flags >> 1) & 3); // sequence
  const padding = readSized((flags >> 3) & 3);
  q += 6; // send time, duration
  const multiple = (flags & 1) !== 0;
  const payloadFlags = multiple ? pkt.readUInt8(q++) : 0;
  const n = multiple ? payloadFlags & 0x3f : 1;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const number = pkt.readUInt8(q++) & 0x7f;
    readSized((props >> 4) & 3); // media object number
    readSized((props >> 2) & 3); // offset into the media object
    const replicated = readSized(props & 3);
    if (replicated === 1) throw new Error("a compressed ASF payload");
    q += replicated;
    const length = multiple ? readSized(payloadFlags >> 6) : packetLength - padding - q;
    if (length < 0 || q + length > pkt.length) throw new Error("an ASF payload runs past its packet");
    if (number === stream) out.push([q, q + length]);
    q += length;
  }
  return out;
}
