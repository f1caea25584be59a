/**
 * What is left of an EXIF block whose framing was damaged: a JPEG inside another file whose first
 * bytes were overwritten (zeroed, or read from the wrong sectors) keeps its TIFF directories where
 * no JPEG walk finds them, with or without the "Exif" signature and the TIFF header. Found by the
 * directories' own shape, not by a parser: a parser needs the header these lost.
 */

/** TIFF field types ([TIFF 6.0] 2, EXIF 2.3 4.6.2). */
const BYTE = 1;
const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const UNDEFINED = 7;
const SRATIONAL = 10;
const IFD = 13;

/**
 * Tags of IFD0 and of the EXIF directory that describe rather than decode a picture (camera,
 * software, dates, author, text, serial numbers, and the pointers to the EXIF, GPS, XMP and IPTC
 * blocks), with the types writers give them. No cleaned picture keeps one.
 */
const DESCRIPTIVE: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  ...[0x010d, 0x010e, 0x010f, 0x0110, 0x0131, 0x0132, 0x013b, 0x013c, 0x8298].map((t): [number, number[]] => [t, [ASCII]]),
  [0x02bc, [BYTE, UNDEFINED]],
  [0x83bb, [LONG, UNDEFINED]],
  [0x8769, [LONG, IFD]],
  [0x8825, [LONG, IFD]],
  ...[0x9c9b, 0x9c9c, 0x9c9d, 0x9c9e, 0x9c9f].map((t): [number, number[]] => [t, [BYTE]]),
  ...[0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9290, 0x9291, 0x9292, 0xa420, 0xa430, 0xa431, 0xa433, 0xa434, 0xa435].map((t): [number, number[]] => [t, [ASCII]]),
  [0x927c, [UNDEFINED]],
  [0x9286, [UNDEFINED]],
]);

/** Tags that decode a picture or describe its exposure, which share those directories. */
const DECODING: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [0x00fe, [LONG]],
  ...[0x0100, 0x0101, 0x0111, 0x0116, 0x0117, 0xa002, 0xa003].map((t): [number, number[]] => [t, [SHORT, LONG]]),
  ...[0x0102, 0x0103, 0x0106, 0x0112, 0x0115, 0x011c, 0x0128, 0x0212, 0x0213, 0x8822, 0x8827, 0x9207, 0x9208, 0x9209, 0xa001, 0xa210, 0xa217].map(
    (t): [number, number[]] => [t, [SHORT]],
  ),
  ...[0xa401, 0xa402, 0xa403, 0xa405, 0xa406, 0xa407, 0xa408, 0xa409, 0xa40a, 0xa40c].map((t): [number, number[]] => [t, [SHORT]]),
  ...[0x011a, 0x011b, 0x013e, 0x013f, 0x0211, 0x0214, 0x829a, 0x829d, 0x9202, 0x9205, 0x9206, 0x920a, 0xa20e, 0xa20f, 0xa404, 0xa432].map(
    (t): [number, number[]] => [t, [RATIONAL]],
  ),
  ...[0x9201, 0x9203, 0x9204].map((t): [number, number[]] => [t, [SRATIONAL]]),
  ...[0x0201, 0x0202].map((t): [number, number[]] => [t, [LONG]]),
  ...[0x9000, 0x9101, 0xa000, 0xa300, 0xa301].map((t): [number, number[]] => [t, [UNDEFINED]]),
  [0xa005, [LONG, IFD]],
]);

const KNOWN: ReadonlyMap<number, readonly number[]> = new Map([...DESCRIPTIVE, ...DECODING]);

const ENTRY = 12;
const TIFF_HEADERS = [Buffer.from("II*\0", "latin1"), Buffer.from("MM\0*", "latin1")];
/** Headers looked at in one stream, at most: each costs a few reads. */
const MAX_TIFF_HEADERS = 10_000;

/**
 * Whether two bytes read as a big-endian number are a descriptive tag, in one lookup; and whether
 * a byte is the low byte of a type descriptive tags are written with. An entry's type is a 16-bit
 * number under 256, so its other byte is zero: most bytes of a stream go by at the cost of two
 * comparisons.
 */
const DESCRIPTIVE_BYTES = new Uint8Array(0x10000);
const TYPE_BYTES = new Uint8Array(0x100);
for (const [tag, types] of DESCRIPTIVE) {
  DESCRIPTIVE_BYTES[tag] = 1;
  for (const type of types) TYPE_BYTES[type] = 1;
}

/**
 * An EXIF block's directory naming a camera, an author, a date or a further block anywhere in
 * `stream`: after a TIFF header, or headerless, as a run of directory entries. A headerless
 * entry counts when it has the type its tag is written with and a neighbouring entry of a known
 * tag and type continues the directory in ascending order: the chance of random or other
 * structured bytes taking that shape is negligible, so no valid file is refused for it. (A
 * directory of one entry is not looked for: writers add the resolution fields to any IFD0.)
 */
export function holdsExifDirectory(stream: Buffer): boolean {
  return holdsTiffHeaderDirectory(stream) || holdsHeaderlessDirectory(stream);
}

function holdsTiffHeaderDirectory(stream: Buffer): boolean {
  let looked = 0;
  for (const header of TIFF_HEADERS) {
    const big = header[0] === 0x4d;
    for (let at = stream.indexOf(header); at >= 0 && looked < MAX_TIFF_HEADERS; at = stream.indexOf(header, at + 1), looked++) {
      if (at + 8 > stream.length) break;
      const ifd = at + (big ? stream.readUInt32BE(at + 4) : stream.readUInt32LE(at + 4));
      if (ifd < at + 8 || ifd + 2 > stream.length) continue;
      const entries = big ? stream.readUInt16BE(ifd) : stream.readUInt16LE(ifd);
      for (let i = 0; i < entries && ifd + 2 + ENTRY * (i + 1) <= stream.length; i++) {
        if (DESCRIPTIVE.has(big ? stream.readUInt16BE(ifd + 2 + ENTRY * i) : stream.readUInt16LE(ifd + 2 + ENTRY * i))) return true;
      }
    }
  }
  return false;
}

function holdsHeaderlessDirectory(b: Buffer): boolean {
  for (let at = 0; at + ENTRY <= b.length; at++) {
    const high = b[at + 2]!;
    const low = b[at + 3]!;
    if (high === 0 && TYPE_BYTES[low] === 1 && DESCRIPTIVE_BYTES[(b[at]! << 8) | b[at + 1]!] === 1 && directoryAround(b, at, true)) return true;
    if (low === 0 && TYPE_BYTES[high] === 1 && DESCRIPTIVE_BYTES[(b[at + 1]! << 8) | b[at]!] === 1 && directoryAround(b, at, false)) return true;
  }
  return false;
}

/** Whether the descriptive entry at `at` sits in a directory (see holdsExifDirectory). */
function directoryAround(b: Buffer, at: number, big: boolean): boolean {
  const tag = (p: number): number => (big ? b.readUInt16BE(p) : b.readUInt16LE(p));
  if (!isEntry(b, at, big, DESCRIPTIVE)) return false;
  const before = at - ENTRY;
  if (before >= 0 && isEntry(b, before, big, KNOWN) && tag(before) < tag(at)) return true;
  const after = at + ENTRY;
  return after + ENTRY <= b.length && isEntry(b, after, big, KNOWN) && tag(after) > tag(at);
}

/** An entry at `at` whose tag is in `tags`, with one of the types that tag is written with and a count of at least one. */
function isEntry(b: Buffer, at: number, big: boolean, tags: ReadonlyMap<number, readonly number[]>): boolean {
  const types = tags.get(big ? b.readUInt16BE(at) : b.readUInt16LE(at));
  const type = big ? b.readUInt16BE(at + 2) : b.readUInt16LE(at + 2);
  const count = big ? b.readUInt32BE(at + 4) : b.readUInt32LE(at + 4);
  return types != null && types.includes(type) && count > 0;
}
