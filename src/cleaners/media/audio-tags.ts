import type { FileBytes } from "../file-bytes.js";

/**
 * The tag blocks that MP3 and FLAC files carry before or after their audio: ID3v2 at the start
 * (https://id3.org/id3v2.4.0-structure), and at the end ID3v1 (128 bytes, "TAG"), its "TAG+"
 * extension, APEv2 (https://wiki.hydrogenaud.io/index.php?title=APE_Tags_Header), Lyrics3v2
 * and a footer-marked ID3v2. All of them state their own size, so they can be cut off exactly
 * by reading only their headers and footers.
 */

/** Total length of the ID3v2 tag starting at `at`, or 0 when there is none. */
export async function id3v2Length(src: FileBytes, at: number): Promise<number> {
  if (at + 10 > src.size) return 0;
  const head = src.peek(at, 10) ?? (await src.read(at, 10));
  if (head.toString("latin1", 0, 3) !== "ID3") return 0;
  const size = syncsafe(head, 6);
  const flags = head[5]!;
  if (size < 0 || head[3] === 0xff) return 0;
  const footer = (flags & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Where the audio ends once every tag appended to it is cut off. Tags are peeled from the end
 * one at a time, in any order, until none is left.
 */
export async function endOfAudio(src: FileBytes, start: number): Promise<number> {
  let end = src.size;
  for await (const tag of trailingTags(src, start)) end = tag.at;
  return end;
}

/** The tags appended to the audio that starts at `start`, the last first: where each starts and its length. */
export async function* trailingTags(src: FileBytes, start: number): AsyncGenerator<{ at: number; length: number }> {
  for (let end = src.size; ; ) {
    const cut = await trailingTagLength(src, start, end);
    if (cut === 0) return;
    end -= cut;
    yield { at: end, length: cut };
  }
}

async function trailingTagLength(src: FileBytes, start: number, end: number): Promise<number> {
  const room = end - start;
  const text = async (at: number, length: number): Promise<string> => (await src.read(at, length)).toString("latin1");
  const at = async (n: number, marker: string): Promise<boolean> => room >= n && (await text(end - n, marker.length)) === marker;

  if (await at(128, "TAG")) return room >= 355 && (await text(end - 355, 4)) === "TAG+" ? 355 : 128;
  if (await at(32, "APETAGEX")) {
    const footer = await src.read(end - 32, 32);
    const size = footer.readUInt32LE(12);
    const hasHeader = (footer.readUInt32LE(20) & 0x80000000) !== 0;
    const total = size + (hasHeader ? 32 : 0);
    return total >= 32 && total <= room ? total : 0;
  }
  if ((await at(9, "LYRICS200")) && room >= 15) {
    const size = Number(await text(end - 15, 6));
    const total = size + 15;
    return Number.isInteger(size) && total <= room && (await text(end - total, 11)) === "LYRICSBEGIN" ? total : 0;
  }
  if (await at(10, "3DI")) {
    const total = syncsafe(await src.read(end - 4, 4), 0) + 20;
    return total > 20 && total <= room ? total : 0;
  }
  return 0;
}

/** A 28-bit integer stored 7 bits per byte; -1 when a byte has its top bit set. */
function syncsafe(buf: Buffer, at: number): number {
  let n = 0;
  for (let i = 0; i < 4; i++) {
    const b = buf[at + i];
    if (b == null || b > 0x7f) return -1;
    n = n * 128 + b;
  }
  return n;
}
