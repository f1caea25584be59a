import fs from "node:fs/promises";

/**
 * Hand-made changes to an MP4/MOV's boxes, to plant what no tool writes: a box of our own inside
 * any container, or bytes between the samples. Sizes are 32-bit, as ffmpeg and ExifTool write
 * them for small files. When the insertion comes before the media data, every chunk offset
 * (`stco`, `co64`) moves with it.
 */

interface Found {
  type: string;
  at: number;
  size: number;
}

/** Sound sample entries (version 0) whose codec configuration boxes a path may step into. */
const SOUND_ENTRIES = new Set(["mp4a", "alac", "samr", "ac-3", "ec-3"]);
/** Visual sample entries whose codec configuration boxes (`avcC`, `hvcC`, `av1C`, MPEG-2's `glbl` in ffmpeg's `m2v1` and IMX's `mx3p`) a path may step into. */
const VISUAL_ENTRIES = new Set(["avc1", "avc3", "hvc1", "hev1", "av01", "m2v1", "mx3p"]);

/** Where a box's children start: after the header, the version and count of `stsd`, or a sound or visual entry's fixed fields. */
function childrenStart(buf: Buffer, box: Found): number {
  return box.at + 8 + (box.type === "stsd" ? 8 : SOUND_ENTRIES.has(box.type) ? 28 : VISUAL_ENTRIES.has(box.type) ? 78 : 0);
}

/** The chain of boxes down a path of types (`["moov", "trak", "mdia"]`), the first of each type; `"entry"` is the first sample entry of an `stsd`. */
function findPath(buf: Buffer, path: readonly string[]): Found[] {
  const chain: Found[] = [];
  let from = 0;
  let to = buf.length;
  for (const step of path) {
    let found: Found | null = null;
    for (let at = from; at + 8 <= to; ) {
      const size = buf.readUInt32BE(at);
      const type = buf.toString("latin1", at + 4, at + 8);
      if (size < 8) throw new Error(`no 32-bit box size at ${at}`);
      if (step === "entry" || type === step) {
        found = { type, at, size };
        break;
      }
      at += size;
    }
    if (found == null) throw new Error(`no ${step} on the path ${path.join("/")}`);
    chain.push(found);
    from = childrenStart(buf, found);
    to = found.at + found.size;
  }
  return chain;
}

/** `bytes` inserted at the end of the last box of `path`, every box around it grown to match. */
export async function appendInside(file: string, path: readonly string[], bytes: Buffer): Promise<void> {
  await replacePayload(file, path, (payload) => Buffer.concat([payload, bytes]));
}

/** The payload of the last box of `path` (what follows its 8-byte header) replaced by `change`'s, every box around it resized to match. */
export async function replacePayload(file: string, path: readonly string[], change: (payload: Buffer) => Buffer): Promise<void> {
  const buf = await fs.readFile(file);
  const chain = findPath(buf, path);
  const last = chain[chain.length - 1]!;
  const end = last.at + last.size;
  const payload = change(Buffer.from(buf.subarray(last.at + 8, end)));
  const growth = payload.length - (last.size - 8);
  const out = Buffer.concat([buf.subarray(0, last.at + 8), payload, buf.subarray(end)]);
  for (const box of chain) out.writeUInt32BE(box.size + growth, box.at);
  // Shifted in the new bytes, once the boxes have their new sizes: the payload may hold tables too.
  if (end <= mediaStart(buf)) shiftChunkOffsets(out, 0, out.length, growth);
  await fs.writeFile(file, out);
}

/** A box of a type no writer uses, holding `text`. */
export function ownBox(type: string, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, payload]);
}

function mediaStart(buf: Buffer): number {
  for (let at = 0; at + 8 <= buf.length; at += buf.readUInt32BE(at)) {
    if (buf.toString("latin1", at + 4, at + 8) === "mdat") return at;
    if (buf.readUInt32BE(at) < 8) break;
  }
  throw new Error("no mdat box");
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl"]);

/** Adds `by` to every chunk offset of the `stco` and `co64` boxes in `buf[from, to)`. */
function shiftChunkOffsets(buf: Buffer, from: number, to: number, by: number): void {
  for (let at = from; at + 8 <= to; ) {
    const size = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    if (size < 8) throw new Error(`no 32-bit box size at ${at}`);
    if (CONTAINERS.has(type)) shiftChunkOffsets(buf, at + 8, at + size, by);
    const count = type === "stco" || type === "co64" ? buf.readUInt32BE(at + 12) : 0;
    for (let i = 0; i < count; i++) {
      if (type === "stco") buf.writeUInt32BE(buf.readUInt32BE(at + 16 + i * 4) + by, at + 16 + i * 4);
      else buf.writeBigUInt64BE(buf.readBigUInt64BE(at + 16 + i * 8) + BigInt(by), at + 16 + i * 8);
    }
    at += size;
  }
}

/**
 * A QuickTime `meta` box of keyed metadata (QuickTime File Format, "Metadata"), as Apple's apps
 * write it in a movie's `moov`: an `mdta` handler, the keys, and an item a key, each a `data` box
 * of the given well-known type (1: UTF-8 text, 13: JPEG).
 */
export function keyedMeta(values: ReadonlyArray<[key: string, type: number, payload: Buffer]>): Buffer {
  const u32 = (n: number): Buffer => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const box = (type: Buffer | string, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    return Buffer.concat([u32(8 + body.length), typeof type === "string" ? Buffer.from(type, "latin1") : type, body]);
  };
  const hdlr = box("hdlr", u32(0), u32(0), Buffer.from("mdta"), Buffer.alloc(12), Buffer.alloc(1));
  const keys = box("keys", u32(0), u32(values.length), ...values.map(([key]) => box("mdta", Buffer.from(key, "utf8"))));
  const ilst = box("ilst", ...values.map(([, type, payload], i) => box(u32(i + 1), box("data", u32(type), u32(0), payload))));
  return box("meta", hdlr, keys, ilst);
}
