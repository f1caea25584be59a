import crypto from "node:crypto";

/** Chunks of a WAV header that say how to play the samples; any other is blanked. */
const FORMAT_CHUNKS = new Set(["fmt ", "fact", "data"]);

/** Monkey's Audio format flag: the original WAV header is not stored (a standard one is made). */
const CREATE_WAV_HEADER = 32;
const HAS_PEAK_LEVEL = 4;
const HAS_SEEK_ELEMENTS = 16;

/**
 * Monkey's Audio keeps the header and the trailer of the WAV file it was made from, to give it
 * back whole on decompression: a WAV's `LIST` INFO tags, `bext` description or `id3 ` chunk are
 * stored there verbatim. This blanks them in place in `stream` (a copy starting at "MAC "): each
 * such chunk becomes a `JUNK` chunk of the same length full of zeros, the trailer one `JUNK`
 * chunk, so no offset moves and a decompressed WAV still parses.
 *
 * The file's MD5 covers those bytes; it is brought up to date when it was right to begin with
 * (WAV data, frames and trailer, then the header and seek table, for version 3.98 and later).
 */
export function blankWavHeader(stream: Buffer): void {
  const layout = locate(stream);
  if (layout == null) return;
  const md5Was = layout.md5 != null && md5Matches(stream, layout);
  blankChunks(stream.subarray(layout.header, layout.header + layout.headerLength));
  blankAll(stream.subarray(layout.trailer, layout.trailer + layout.trailerLength));
  if (md5Was && layout.md5 != null) digest(stream, layout).copy(stream, layout.md5);
}

interface Layout {
  header: number;
  headerLength: number;
  trailer: number;
  trailerLength: number;
  /** Where the MD5 is, when the version has one, and what it covers. */
  md5: number | null;
  apeHeader: [number, number];
  seekTable: [number, number];
}

function locate(s: Buffer): Layout | null {
  if (s.length < 32) return null;
  const version = s.readUInt16LE(4);
  if (version >= 3980) {
    if (s.length < 52) return null;
    const descriptor = s.readUInt32LE(8);
    const apeHeader = s.readUInt32LE(12);
    const seekTable = s.readUInt32LE(16);
    const header = descriptor + apeHeader + seekTable;
    const headerLength = s.readUInt32LE(20);
    const frames = s.readUInt32LE(24) + s.readUInt32LE(28) * 2 ** 32;
    const trailer = header + headerLength + frames;
    const trailerLength = s.readUInt32LE(32);
    if (trailer + trailerLength > s.length) return null;
    return {
      header, headerLength, trailer, trailerLength, md5: 36,
      apeHeader: [descriptor, descriptor + apeHeader], seekTable: [descriptor + apeHeader, header],
    };
  }
  const flags = s.readUInt16LE(8);
  const header = 32 + ((flags & HAS_PEAK_LEVEL) !== 0 ? 4 : 0) + ((flags & HAS_SEEK_ELEMENTS) !== 0 ? 4 : 0);
  const headerLength = (flags & CREATE_WAV_HEADER) !== 0 ? 0 : s.readUInt32LE(16);
  const trailerLength = s.readUInt32LE(20);
  if (header + headerLength + trailerLength > s.length) return null;
  return { header, headerLength, trailer: s.length - trailerLength, trailerLength, md5: null, apeHeader: [0, 0], seekTable: [0, 0] };
}

function digest(s: Buffer, l: Layout): Buffer {
  return crypto
    .createHash("md5")
    .update(s.subarray(l.header, l.trailer + l.trailerLength))
    .update(s.subarray(...l.apeHeader))
    .update(s.subarray(...l.seekTable))
    .digest();
}

function md5Matches(s: Buffer, l: Layout): boolean {
  return l.md5 != null && digest(s, l).equals(s.subarray(l.md5, l.md5 + 16));
}

/** Walks the RIFF chunks of a stored WAV header, blanking all but the format ones. */
function blankChunks(h: Buffer): void {
  if (h.length < 12 || h.toString("latin1", 0, 4) !== "RIFF") return blankAll(h);
  let pos = 12;
  while (pos + 8 <= h.length) {
    const id = h.toString("latin1", pos, pos + 4);
    // The data chunk's header ends the stored header; its size names the samples, not bytes here.
    if (id === "data") return;
    const size = Math.min(h.readUInt32LE(pos + 4), h.length - pos - 8);
    if (!FORMAT_CHUNKS.has(id)) {
      h.write("JUNK", pos, "latin1");
      h.fill(0, pos + 8, pos + 8 + size);
    }
    pos += 8 + size + (size % 2);
  }
}

/** Blanks a whole region: a `JUNK` chunk filling it when it is large enough to hold one. */
function blankAll(b: Buffer): void {
  b.fill(0);
  if (b.length < 8) return;
  b.write("JUNK", 0, "latin1");
  b.writeUInt32LE(b.length - 8, 4);
}
