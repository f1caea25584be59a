/**
 * The tag blocks that MP3 and FLAC files carry before or after their audio: ID3v2 at the start
 * (https://id3.org/id3v2.4.0-structure), and at the end ID3v1 (128 bytes, "TAG"), its "TAG+"
 * extension, APEv2 (https://wiki.hydrogenaud.io/index.php?title=APE_Tags_Header), Lyrics3v2
 * and a footer-marked ID3v2. All of them state their own size, so they can be cut off exactly.
 */

/** Total length of the ID3v2 tag starting at `at`, or 0 when there is none. */
export function id3v2Length(buf: Buffer, at: number): number {
  if (at + 10 > buf.length || buf.toString("latin1", at, at + 3) !== "ID3") return 0;
  const size = syncsafe(buf, at + 6);
  const flags = buf[at + 5] ?? 0;
  if (size < 0 || (buf[at + 3] ?? 0xff) === 0xff) return 0;
  const footer = (flags & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Where the audio ends once every tag appended to it is cut off. Tags are peeled from the end
 * one at a time, in any order, until none is left.
 */
export function endOfAudio(buf: Buffer, start: number): number {
  let end = buf.length;
  for (;;) {
    const cut = trailingTagLength(buf, start, end);
    if (cut === 0) return end;
    end -= cut;
  }
}

function trailingTagLength(buf: Buffer, start: number, end: number): number {
  const room = end - start;
  const at = (n: number, text: string): boolean => room >= n && buf.toString("latin1", end - n, end - n + text.length) === text;

  if (at(128, "TAG")) return room >= 355 && buf.toString("latin1", end - 355, end - 351) === "TAG+" ? 355 : 128;
  if (at(32, "APETAGEX")) {
    const footer = end - 32;
    const size = buf.readUInt32LE(footer + 12);
    const hasHeader = (buf.readUInt32LE(footer + 20) & 0x80000000) !== 0;
    const total = size + (hasHeader ? 32 : 0);
    return total >= 32 && total <= room ? total : 0;
  }
  if (at(9, "LYRICS200") && room >= 15) {
    const size = Number(buf.toString("latin1", end - 15, end - 9));
    const total = size + 15;
    return Number.isInteger(size) && total <= room && buf.toString("latin1", end - total, end - total + 11) === "LYRICSBEGIN" ? total : 0;
  }
  if (at(10, "3DI")) {
    const total = syncsafe(buf, end - 4) + 20;
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
