import { TooComplexError } from "../errors.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { walkPngChunkHeads } from "./png-chunks.js";
import { ExifByteBudget } from "./exif-byte-budget.js";
import { checkJumbf, JumbfTally } from "./jumbf-screen.js";
import { checkPhotoshopExif } from "./photoshop-exif-screen.js";
import { checkExifBlock, checkTiffBytes, MAX_EXIF_ENTRIES, TiffTally } from "./tiff-screen.js";
import { XmpNamespaceTally } from "../xmp-namespaces.js";

/**
 * Chunks of the kinds that carry tags (text, times, profiles, unknown kinds...) before a PNG is
 * refused: ExifTool turns each into a tag, at 200-380 µs and about a kilobyte each, kept until its
 * read ends (100,000 empty `tEXt` chunks, 1.5 MB: 19 s; a million would pass its 60 s timeout).
 * Real files have a few dozen.
 */
export const MAX_PNG_TAG_CHUNKS = 10_000;
/**
 * Chunks in all, image data and animation frames included, which ExifTool only steps over (~20 µs
 * each): a 100 MB PNG cut in the 8 kB image data chunks libpng writes has 12,800.
 */
export const MAX_PNG_CHUNKS = 300_000;

/**
 * Bytes of EXIF blocks, raw profiles and compressed text read into memory and inflated (compressed
 * eXIf or zxIf chunks, raw profile text of any kind, zTXt, compressed iTXt and iCCP chunks), in
 * all: ExifTool inflates such chunks whole, to its memory cap. ImageMagick's raw profile of a
 * photo's EXIF is tens of kilobytes of hex, a colour profile a few kilobytes compressed.
 */
export const MAX_PNG_EXIF_BYTES = 32 * 1024 * 1024;

/** Chunks ExifTool steps over without a tag: image data and an animation's frames. */
const PICTURE_CHUNKS = new Set(["IDAT", "fdAT", "fcTL"]);
/** The one chunk whose bytes ExifTool seeks past unread (PNG.pm's `%isDatChunk`): the image data. */
const SKIPPED_CHUNK = "IDAT";
/** Chunks ExifTool reads as EXIF (zxIf: a once-proposed compressed one), and the text chunks that may hold a raw profile. */
const EXIF_CHUNKS = new Set(["eXIf", "zxIf"]);
const TEXT_CHUNKS = new Set(["tEXt", "zTXt", "iTXt"]);
/** C2PA's chunk: a JUMBF block, which ExifTool reads as a JPEG's APP11 segments (see jumbf-screen.ts). */
const JUMBF_CHUNK = "caBX";
/**
 * Keywords of text chunks that ExifTool reads as profiles (ImageMagick's raw profiles, the bytes in
 * hex; ExifTool also takes them with a lower-case first letter), by what it reads in them: EXIF
 * (an APP1 profile may hold XMP instead), Photoshop image resources (an 'iptc' profile holds
 * either those or bare IPTC records), or a block of its own (XMP, ICC), decoded all the same.
 */
const RAW_PROFILES: ReadonlyMap<string, "exif" | "resources" | "iptc" | "other"> = new Map([
  ["Raw profile type exif", "exif"],
  ["Raw profile type APP1", "exif"],
  ["Raw profile type 8bim", "resources"],
  ["Raw profile type iptc", "iptc"],
  ["Raw profile type xmp", "other"],
  ["Raw profile type icc", "other"],
  ["Raw profile type icm", "other"],
]);
/** A keyword is 1-79 bytes, then its NUL. */
const KEYWORD_BYTES = 80;

/**
 * Refuses (TooComplexError) a PNG of more chunks than MAX_PNG_CHUNKS, or of more than
 * MAX_PNG_TAG_CHUNKS that are not image data, reading only chunk heads up to IEND, then its EXIF
 * blocks, profiles, compressed text and C2PA manifests (caBX) against their limits. A chunk that
 * runs past the file's end ends the walk: damage is left to the cleaner.
 *
 * It also counts the XMP namespaces declared in the file's bytes as stored (see xmp-namespaces.ts),
 * in all but the image data, which ExifTool seeks past: the whole-file count other types get went
 * over a 16 MB screenshot's compressed pixels for nothing (~1 ms of CPU a megabyte, a tenth of
 * its removal's). Every other chunk, whole, and whatever follows the walk (after IEND, or a chunk
 * cut short) are counted.
 */
export async function checkPngShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    let all = 0;
    let tagged = 0;
    const exif: Array<{ type: string; at: number; length: number }> = [];
    const stored: Array<{ from: number; to: number }> = [];
    let walked = 0;
    await walkPngChunkHeads(src, ({ type, at, length }) => {
      walked = Math.min(src.size, at + 12 + length);
      if (type !== SKIPPED_CHUNK) addRange(stored, at, walked);
      if (++all > MAX_PNG_CHUNKS) throw new TooComplexError(`png: more than ${MAX_PNG_CHUNKS} chunks`);
      if (!PICTURE_CHUNKS.has(type) && ++tagged > MAX_PNG_TAG_CHUNKS) throw new TooComplexError(`png: more than ${MAX_PNG_TAG_CHUNKS} chunks besides image data`);
      if (EXIF_CHUNKS.has(type) || TEXT_CHUNKS.has(type) || type === "iCCP" || type === JUMBF_CHUNK) exif.push({ type, at: at + 8, length: Math.min(length, src.size - at - 8) });
    });
    const tally = new TiffTally(MAX_EXIF_ENTRIES);
    const budget = new ExifByteBudget(MAX_PNG_EXIF_BYTES, "png");
    const jumbf = new JumbfTally();
    const xmp = new XmpNamespaceTally("png");
    for (const chunk of exif) {
      if (chunk.type === JUMBF_CHUNK) {
        jumbf.take(chunk.length);
        checkJumbf(await src.read(chunk.at, chunk.length), jumbf);
      } else if (EXIF_CHUNKS.has(chunk.type)) await checkExifChunk(src, chunk, tally, budget);
      else await checkTextChunk(src, chunk, tally, budget, xmp);
    }
    addRange(stored, Math.max(walked, 8), src.size);
    await new XmpNamespaceTally("the file").scanStream(windows(src, stored));
  } finally {
    await src.close();
  }
}

/** Adds [from, to) to `ranges`, joined to the last one where it follows it (the chunks between image data). */
function addRange(ranges: Array<{ from: number; to: number }>, from: number, to: number): void {
  const last = ranges.at(-1);
  if (last?.to === from) last.to = to;
  else if (to > from) ranges.push({ from, to });
}

/** The bytes of `ranges`, in windows. */
async function* windows(src: FileBytes, ranges: ReadonlyArray<{ from: number; to: number }>): AsyncGenerator<Buffer> {
  for (const { from, to } of ranges) for (let at = from; at < to; at += WINDOW) yield await src.read(at, Math.min(WINDOW, to - at));
}

/**
 * An eXIf or zxIf chunk as ExifTool reads it (ProcessPNG_eXIf): a TIFF structure after an
 * optional "Exif\0\0", or, when it starts with a zero byte, a length and a zlib stream of the same
 * again (inflated, up to the budget).
 */
async function checkExifChunk(src: FileBytes, chunk: { at: number; length: number }, tally: TiffTally, budget: ExifByteBudget): Promise<void> {
  const head = await src.read(chunk.at, Math.min(chunk.length, 7));
  const start = head.length > 6 && head.toString("latin1", 0, 6) === "Exif\0\0" ? 6 : 0;
  if (head[start] !== 0) return checkExifBlock(src, chunk.at, chunk.length, tally);
  budget.take(chunk.length);
  let data: Buffer | null = await src.read(chunk.at + start, chunk.length - start);
  while (data != null && data[0] === 0) {
    data = budget.inflate(data.subarray(5), "zlib");
    if (data?.subarray(0, 6).toString("latin1") === "Exif\0\0") data = data.subarray(6);
  }
  if (data != null) await checkTiffBytes(data, tally);
}

/**
 * A text chunk (or a colour profile's iCCP) as ExifTool reads it (FoundPNG, ProcessProfile): its
 * text inflated when compressed, whatever its keyword (a zTXt comment of 204 kB inflating to
 * 200 MB took ExifTool 845 MB and gave 200 MB of JSON; an iCCP chunk as much, 437 MB), and a raw
 * profile ("\nTYPE\nLENGTH\nHEX") decoded as Perl's pack does (any letter or digit gives a
 * nibble; white space is dropped): an EXIF profile is then a TIFF structure after "Exif\0\0" or
 * from a TIFF header, a Photoshop one image resources whose EXIF blocks count too. Compressed
 * chunks and raw profiles take from the budget.
 */
async function checkTextChunk(src: FileBytes, chunk: { type: string; at: number; length: number }, tally: TiffTally, budget: ExifByteBudget, xmp: XmpNamespaceTally): Promise<void> {
  const head = await src.read(chunk.at, Math.min(chunk.length, KEYWORD_BYTES + 2));
  const nul = head.indexOf(0);
  if (nul < 0) return;
  const keyword = head.toString("latin1", 0, nul);
  const kind = RAW_PROFILES.get(keyword) ?? RAW_PROFILES.get(keyword.charAt(0).toUpperCase() + keyword.slice(1));
  if (kind == null && !isCompressed(chunk.type, head.subarray(nul + 1))) return;
  budget.take(chunk.length);
  const data = await src.read(chunk.at, chunk.length);
  const text = textOf(chunk.type, data.subarray(nul + 1), budget);
  // An inflated XMP packet's namespaces, which the file's stored bytes do not show.
  if (text != null && chunk.type !== "tEXt") xmp.scan(text);
  const profile = text == null || kind == null ? null : decodeProfile(text);
  if (profile == null) return;
  if (kind === "resources" || (kind === "iptc" && profile[0] !== 0x1c)) await checkPhotoshopExif(profile, tally);
  if (kind !== "exif") return;
  if (profile.toString("latin1", 0, 6) === "Exif\0\0") await checkTiffBytes(profile.subarray(6), tally);
  else if (["MM\0*", "II*\0"].includes(profile.toString("latin1", 0, 4))) await checkTiffBytes(profile, tally);
}

/** Whether a chunk's text after its keyword is compressed: an iCCP's and a zTXt's always, an iTXt's when its flag says so. */
const isCompressed = (type: string, rest: Buffer): boolean => type === "iCCP" || type === "zTXt" || (type === "iTXt" && rest[0] === 1);

/** The text of a tEXt, zTXt or iTXt chunk (or an iCCP's profile) after its keyword, inflated where compressed; null where ExifTool reads none. */
function textOf(type: string, rest: Buffer, budget: ExifByteBudget): Buffer | null {
  if (type === "tEXt") return rest;
  if (type === "zTXt" || type === "iCCP") return rest[0] === 0 ? budget.inflate(rest.subarray(1), "zlib") : null;
  // iTXt: compression flag and method, then a language tag and a translated keyword, each NUL-ended.
  if (rest.length < 4) return null;
  const lang = rest.indexOf(0, 2);
  const translated = lang < 0 ? -1 : rest.indexOf(0, lang + 1);
  const text = translated < 0 ? Buffer.alloc(0) : rest.subarray(translated + 1);
  if (rest[0] === 0) return text;
  return rest[1] === 0 ? budget.inflate(text, "zlib") : null;
}

/** ImageMagick's "\nTYPE\n   LENGTH\nHEX..." decoded as ExifTool does, or null when it is not of that shape. */
function decodeProfile(text: Buffer): Buffer | null {
  const head = /^\n[^]*?\n\s*\d+\n/.exec(text.toString("latin1", 0, Math.min(text.length, 4096)));
  if (head == null) return null;
  const out = Buffer.alloc(Math.ceil((text.length - head[0].length) / 2));
  let nibbles = 0;
  for (let i = head[0].length; i < text.length; i++) {
    const c = text[i]!;
    // Perl's split ' ': spaces, tabs, line ends, form feeds.
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) continue;
    // Perl's pack "H": a letter gives (c + 9) & 15, anything else c & 15.
    const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
    const v = letter ? (c + 9) & 15 : c & 15;
    if (nibbles % 2 === 0) out[nibbles >> 1] = v << 4;
    else out[nibbles >> 1]! |= v;
    nibbles++;
  }
  return out.subarray(0, Math.ceil(nibbles / 2));
}
