import fs from "node:fs";
import fsp from "node:fs/promises";
import zlib from "node:zlib";
import { FileBytes } from "../../cleaners/file-bytes.js";
import { childBoxes, topLevelBoxes } from "../../cleaners/media/iso-boxes.js";
import { keyedArtworkIn } from "./inner-cover-keys.js";
import { copyCounted, type Copied } from "./inner-copy.js";
import type { InnerFile, InnerSource } from "./inner-types.js";

/**
 * Audio files' pictures (cover art, a booklet's pages): an MP3's ID3v2 APIC/PIC frames, a FLAC
 * file's PICTURE blocks, an M4A/MP4's iTunes `covr` items. Each is a whole JPEG or PNG, with the
 * camera's EXIF (GPS, serial numbers) when it was a photo. Named "picture N" in the file's order.
 */
export function coverSourceFor(fileType: string): InnerSource | null {
  if (fileType === "MP3") return id3PicturesAt(async () => 0);
  if (fileType === "FLAC") return flacSource;
  if (ISO_TYPES.has(fileType)) return isoSource;
  return null;
}

const ISO_TYPES = new Set(["M4A", "M4B", "M4V", "MP4", "MOV"]);
/** Pictures listed from one file; the rest are counted, not looked at (real files hold a handful). */
const MAX_LISTED = 1000;
/** The start of a picture frame read to find where its data begins (format, type, description). */
const FRAME_START = 64 * 1024;

/** A picture as a plain range of the file; held in memory when the walk's window `src` holds it whole. */
function ranged(file: string, n: number, at: number, length: number, src?: FileBytes): InnerFile {
  const held = src?.peek(at, length);
  if (length > 0 && held?.length === length) return inMemory(n, held);
  return {
    name: `picture ${n}`,
    claimedSize: length,
    copyTo: (dest, maxBytes) => copyCounted(async () => fs.createReadStream(file, { start: at, end: at + length - 1 }), dest, maxBytes),
  };
}

async function withBytes<T>(file: string, walk: (src: FileBytes) => Promise<T>): Promise<T> {
  const src = await FileBytes.open(file);
  try {
    return await walk(src);
  } finally {
    await src.close();
  }
}

/** FLAC metadata blocks (after a leading ID3v2 tag, if any): each PICTURE block's data. */
const flacSource: InnerSource = (file, _scratch, visit) =>
  withBytes(file, async (src) => {
    const head = await src.read(0, 10);
    let at = head.toString("latin1", 0, 3) === "ID3" ? 10 + syncsafe(head, 6) : 0;
    if ((await src.read(at, 4)).toString("latin1") !== "fLaC") return 0;
    let n = 0;
    let unlisted = 0;
    for (at += 4; src.size - at >= 4; ) {
      const block = await src.read(at, 4);
      const length = block.readUIntBE(1, 3);
      if ((block[0]! & 0x7f) === PICTURE_BLOCK) {
        // Past the listing bound, pictures are only counted, for the finding that says how many were not looked into.
        if (n >= MAX_LISTED) unlisted += 1;
        else {
          const data = flacPictureData(await src.read(at + 4, Math.min(length, FRAME_START)));
          if (data != null && data.at + data.length <= length) await visit(ranged(file, ++n, at + 4 + data.at, data.length, src));
        }
      }
      if ((block[0]! & 0x80) !== 0) break;
      at += 4 + length;
    }
    return unlisted;
  });

const PICTURE_BLOCK = 6;

/** Where a PICTURE block's picture data lies in its body: after type, MIME type, description and four sizes. */
function flacPictureData(body: Buffer): { at: number; length: number } | null {
  if (body.length < 8) return null;
  let at = 8 + body.readUInt32BE(4);
  if (at + 4 > body.length) return null;
  at += 4 + body.readUInt32BE(at) + 16;
  if (at + 4 > body.length) return null;
  return { at: at + 4, length: body.readUInt32BE(at) };
}

/**
 * An ID3v2 tag's (versions 2.2-2.4) APIC (PIC) frames' picture data: an MP3's leading tag, or one
 * inside a file at the place `find` gives (null: none). Frames
 * written unsynchronised or compressed are undone in memory (a frame is at most the copy's cap);
 * encrypted ones cannot be read and count as not looked into.
 */
export function id3PicturesAt(find: (src: FileBytes) => Promise<number | null>): InnerSource {
  return (file, _scratch, visit) =>
    withBytes(file, async (src) => {
      const base = await find(src);
      if (base == null) return 0;
      const head = await src.read(base, 10);
      if (head.length < 10 || head.toString("latin1", 0, 3) !== "ID3") return 0;
      const version = head[3]!;
      const tagUnsync = (head[5]! & 0x80) !== 0 && version < 4;
      const end = Math.min(src.size, base + 10 + syncsafe(head, 6));
      // A whole tag written unsynchronised: its frame heads are too, so it is read back whole (capped).
      if (tagUnsync) {
        if (end - base > 64 * 1024 * 1024) return 1;
        const tag = Buffer.concat([head, resync(await src.read(base + 10, end - base - 10))]);
        return id3Frames(tag, version, async (n, body) => visit(inMemory(n, body)));
      }
      let at = base + 10;
      if ((head[5]! & 0x40) !== 0 && version >= 3) {
        const ext = await src.read(at, 4);
        at += version === 4 ? syncsafe(ext, 0) : 4 + ext.readUInt32BE(0);
      }
      const frameHead = version === 2 ? 6 : 10;
      let n = 0;
      for (let frames = 0; end - at >= frameHead && frames < 100_000; frames++) {
        const frame = await src.read(at, frameHead);
        if (frame[0] === 0) break;
        const id = frame.toString("latin1", 0, version === 2 ? 3 : 4);
        const size = version === 2 ? frame.readUIntBE(3, 3) : version === 4 ? syncsafe(frame, 4) : frame.readUInt32BE(4);
        const bodyAt = at + frameHead;
        at = bodyAt + size;
        if (at > end || (id !== "APIC" && id !== "PIC")) continue;
        n += 1;
        // Past the listing bound, pictures are only counted (by their frame heads), for the finding that says how many were not looked into.
        if (n > MAX_LISTED) continue;
        const flags = version === 2 ? 0 : frame.readUInt16BE(8);
        const plain = version === 3 ? (flags & 0x00e0) === 0 : version === 4 ? (flags & 0x004f) === 0 : true;
        if (plain) {
          const start = apicData(await src.read(bodyAt, Math.min(size, FRAME_START)), version);
          if (start != null) await visit(ranged(file, n, bodyAt + start, size - start, src));
        } else {
          await visit(transformed(file, n, bodyAt, size, version, flags));
        }
      }
      return Math.max(0, n - MAX_LISTED);
    });
}

/** Frames of a tag held in memory (read back whole), each APIC/PIC body handed over. */
async function id3Frames(tag: Buffer, version: number, each: (n: number, body: Buffer) => Promise<void>): Promise<number> {
  const frameHead = version === 2 ? 6 : 10;
  let at = 10;
  if ((tag[5]! & 0x40) !== 0 && version === 3 && tag.length >= 14) at += 4 + tag.readUInt32BE(10);
  let n = 0;
  while (tag.length - at >= frameHead && tag[at] !== 0) {
    const id = tag.toString("latin1", at, at + (version === 2 ? 3 : 4));
    const size = version === 2 ? tag.readUIntBE(at + 3, 3) : tag.readUInt32BE(at + 4);
    const body = tag.subarray(at + frameHead, at + frameHead + size);
    at += frameHead + size;
    if (id !== "APIC" && id !== "PIC") continue;
    n += 1;
    if (n > MAX_LISTED) continue;
    const flags = version === 2 ? 0 : tag.readUInt16BE(at - size - 2);
    // Version 2.3's compressed frame: its inflated size, then the data (an encrypted one is not read).
    const data = (flags & 0x0040) !== 0 ? null : (flags & 0x0080) !== 0 ? inflated(body.subarray((flags & 0x0020) !== 0 ? 5 : 4), 64 * 1024 * 1024) : body.subarray((flags & 0x0020) !== 0 ? 1 : 0);
    const start = data == null ? null : apicData(data, version);
    await each(n, data != null && start != null ? data.subarray(start) : Buffer.alloc(0));
  }
  return Math.max(0, n - MAX_LISTED);
}

function inMemory(n: number, data: Buffer): InnerFile {
  return {
    name: `picture ${n}`,
    claimedSize: data.length,
    copyTo: (dest, maxBytes) => writeCapped(data.length === 0 ? null : data, dest, maxBytes),
    ...(data.length > 0 ? { held: data } : {}),
  };
}

/**
 * A frame whose body is unsynchronised, compressed, grouped (or encrypted: not readable), undone
 * when copied. The bytes a flag adds before the data come in the version's order.
 */
function transformed(file: string, n: number, at: number, size: number, version: number, flags: number): InnerFile {
  const v3 = version === 3;
  const compressed = (flags & (v3 ? 0x0080 : 0x0008)) !== 0;
  const encrypted = (flags & (v3 ? 0x0040 : 0x0004)) !== 0;
  const grouped = (flags & (v3 ? 0x0020 : 0x0040)) !== 0;
  const skip = v3 ? (compressed ? 4 : 0) + (grouped ? 1 : 0) : (grouped ? 1 : 0) + ((flags & 0x0001) !== 0 ? 4 : 0);
  return {
    name: `picture ${n}`,
    claimedSize: size,
    async copyTo(dest, maxBytes): Promise<Copied> {
      if (encrypted || size > maxBytes) return { written: 0, complete: false };
      let body: Buffer = (await withBytes(file, async (src) => Buffer.from(await src.read(at, size)))).subarray(skip);
      if (!v3 && (flags & 0x0002) !== 0) body = resync(body);
      const data = compressed ? inflated(body, maxBytes) : body;
      const start = data == null ? null : apicData(data, version);
      return writeCapped(data != null && start != null ? data.subarray(start) : null, dest, maxBytes);
    },
  };
}

async function writeCapped(data: Buffer | null, dest: string, maxBytes: number): Promise<Copied> {
  if (data == null) return { written: 0, complete: false };
  if (data.length > maxBytes) return { written: maxBytes, complete: false };
  await fsp.writeFile(dest, data, { flag: "wx" });
  return { written: data.length, complete: true };
}

/** A compressed frame's data inflated, at most `max` bytes; null if damaged or longer. */
function inflated(body: Buffer, max: number): Buffer | null {
  try {
    return zlib.inflateSync(body, { maxOutputLength: max });
  } catch {
    return null;
  }
}

/** Unsynchronisation undone: every 0xFF 0x00 back to 0xFF. */
function resync(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    out[n++] = buf[i]!;
    if (buf[i] === 0xff && buf[i + 1] === 0x00) i++;
  }
  return out.subarray(0, n);
}

/** Where an APIC (PIC) body's picture data begins: after encoding, MIME type (or 3-letter format), type and description. */
function apicData(body: Buffer, version: number): number | null {
  const encoding = body[0];
  if (encoding == null || encoding > 3) return null;
  let at: number;
  if (version === 2) at = 4;
  else {
    const mimeEnd = body.indexOf(0, 1);
    if (mimeEnd < 0) return null;
    at = mimeEnd + 1;
  }
  at += 1; // the picture type
  if (encoding === 1 || encoding === 2) {
    // UTF-16: two zero bytes on a character boundary end the description.
    for (; at + 1 < body.length && (body[at] !== 0 || body[at + 1] !== 0); at += 2);
    at += 2;
  } else {
    const end = body.indexOf(0, at);
    if (end < 0) return null;
    at = end + 1;
  }
  return at < body.length ? at : null;
}

/** A 28-bit size written 7 bits a byte. */
function syncsafe(bytes: Buffer, at: number): number {
  return ((bytes[at]! & 0x7f) << 21) | ((bytes[at + 1]! & 0x7f) << 14) | ((bytes[at + 2]! & 0x7f) << 7) | (bytes[at + 3]! & 0x7f);
}

/** The path of boxes to the iTunes items list; `meta` is a full box (4 bytes of version and flags before its children). */
const ILST_PATH = ["moov", "udta", "meta", "ilst"];
/** Bytes of one container box read whole to walk it (`udta` and `meta` are small; `moov` is walked by heads). */
const MAX_HELD = 16 * 1024 * 1024;

/**
 * An M4A/MP4's iTunes cover art: moov > udta > meta > ilst > covr > data boxes, each a picture after
 * 8 bytes of type and locale; then a QuickTime movie's keyed artwork (moov > meta, inner-cover-keys.ts),
 * which ExifTool shows as binary data only.
 */
const isoSource: InnerSource = async (file, _scratch, visit) => {
  const fh = await fsp.open(file, "r");
  let covers: Array<{ at: number; length: number }>;
  try {
    const { size } = await fh.stat();
    const moov = (await topLevelBoxes(fh, size))?.find((b) => b.type === "moov");
    if (moov == null) return 0;
    covers = [];
    for (const [type, pictures] of [
      ["udta", coversIn],
      ["meta", keyedArtworkIn],
    ] as const) {
      const box = await childByHeads(fh, moov.at + moov.header, moov.at + moov.size, type);
      if (box == null || box.size > MAX_HELD) continue;
      const { buffer } = await fh.read(Buffer.alloc(box.size), 0, box.size, box.at);
      covers.push(...pictures(buffer, box.header).map((c) => ({ at: box.at + c.at, length: c.length })));
    }
  } finally {
    await fh.close();
  }
  for (const [i, c] of covers.slice(0, MAX_LISTED).entries()) await visit(ranged(file, i + 1, c.at, c.length));
  return Math.max(0, covers.length - MAX_LISTED);
};

/** The first child of type `type` between `from` and `to`, read by its head only. */
async function childByHeads(fh: fsp.FileHandle, from: number, to: number, type: string): Promise<{ at: number; header: number; size: number } | null> {
  const head = Buffer.alloc(8);
  for (let at = from, count = 0; to - at >= 8 && count < 100_000; count++) {
    await fh.read(head, 0, 8, at);
    const size = head.readUInt32BE(0);
    if (size < 8 || at + size > to) return null;
    if (head.toString("latin1", 4, 8) === type) return { at, header: 8, size };
    at += size;
  }
  return null;
}

/** The `covr` items' data in a `udta` box held in `buf` (its header `header` bytes long). */
function coversIn(buf: Buffer, header: number): Array<{ at: number; length: number }> {
  let [from, to] = [header, buf.length];
  for (const type of ILST_PATH.slice(2)) {
    const box = childBoxes(buf, from, to)?.find((b) => b.type === type);
    if (box == null) return [];
    from = box.at + box.header;
    to = box.at + box.size;
    // MP4's `meta` is a full box; QuickTime's (a MOV's) is not: its children start at once.
    if (type === "meta" && childBoxes(buf, from, to) == null) from += 4;
  }
  const covers: Array<{ at: number; length: number }> = [];
  for (const covr of childBoxes(buf, from, to)?.filter((b) => b.type === "covr") ?? []) {
    for (const data of childBoxes(buf, covr.at + covr.header, covr.at + covr.size) ?? []) {
      const body = data.at + data.header + 8;
      if (data.type === "data" && body < data.at + data.size) covers.push({ at: body, length: data.at + data.size - body });
    }
  }
  return covers;
}
