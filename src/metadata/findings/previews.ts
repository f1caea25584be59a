import fsp from "node:fs/promises";
import path from "node:path";
import jpegJs from "jpeg-js";
import { runOrNull, runTool } from "../../cleaners/run-tool.js";
import { type Grey, lumaAtEighth } from "./jpeg-dc.js";
import { pngExifBase } from "./png-exif-base.js";
import { decodeScale, type JpegHeader, readJpegHeader, type Span } from "./previews-header.js";
import { type Finding, type TagEntry, fromTags } from "./types.js";
import { makeDir } from "../../make-dir.js";

const PREVIEW_TAG = /^(Thumbnail(Image|TIFF|PNG)?|Preview(Image|TIFF|PNG)|JpgFromRaw|OtherImage|PhotoshopThumbnail|MPImage\d+|ThumbnailsImage)$/;

/** Where ExifTool says a JPEG preview sits in the file (from the file's start; in a PNG from its eXIf chunk's data: pngExifBase). */
type Locator = readonly [start: string, length: string];
const OTHER_LOCATOR: Locator = ["OtherImageStart", "OtherImageLength"];
const LOCATORS: readonly Locator[] = [["ThumbnailOffset", "ThumbnailLength"], ["PreviewImageStart", "PreviewImageLength"], ["JpgFromRawStart", "JpgFromRawLength"], OTHER_LOCATOR];

/** Bounds of the comparison: a few previews, each of a sane size, each decode short. */
const MAX_COMPARED = 4;
const MAX_PREVIEW_BYTES = 16 * 1024 * 1024;
const DECODE_TIMEOUT_MS = 20_000;
/**
 * Grey pixels a decode may write (a 32768 x 32768 picture at djpeg's eighth), with room for the
 * PGM header: a small file that declares a huge frame (65000 x 65000 in 700 KB) would otherwise
 * have djpeg write 66 MB before the grid is averaged. Past it the comparison is not made.
 */
const MAX_DECODED_BYTES = 4096 * 4096 + 64;
/**
 * A preview up to this many pixels (an EXIF thumbnail is 160x120) is decoded here, in JavaScript,
 * in a few milliseconds: starting djpeg for it costs more (a hop to the spawner, a fork, djpeg).
 * Larger ones, and what this decoder refuses (12-bit, arithmetic coding), go to djpeg.
 */
const IN_PROCESS_MAX_PIXELS = 100_000;
/**
 * Such a preview is read at its eighth (its blocks' averages, no pixel decoded: ~0.4 instead of
 * ~1.5 ms for a 160x120 thumbnail) when that leaves this many blocks or more on its short side: on
 * 53 camera thumbnails, the 33 of 96 pixels or more kept their verdicts (same picture: correlation
 * 0.95-1.0), while those of 80x60 came out too coarse for the grid (5 of 20 would turn 'different').
 */
const MIN_EIGHTH_SIDE = 12;
/**
 * A baseline JPEG picture of up to this many bytes is read at its eighth here (lumaAtEighth: ~9 ms
 * for a 1 MP photo of 700 kB), where djpeg costs ~20 ms of CPU with its start and the spawner's
 * fork; past ~3 MB djpeg's faster decoding wins it back (~100 ms here for a 7.8 MB 12 MP photo,
 * ~75 with djpeg). The file is read whole: this bounds what that holds.
 */
const IN_PROCESS_MAX_BYTES = 3 * 1024 * 1024;
/**
 * The main picture is read at its eighth here when that leaves this many blocks on its short side
 * (4 a cell of the grid); a smaller picture is decoded by djpeg at a finer scale.
 */
const MIN_EIGHTH_MAIN_SIDE = 64;
/** Pixels of a main picture read here, at most: its eighth's grey levels stay under 4 MB. */
const IN_PROCESS_MAX_MAIN_PIXELS = 2048 * 2048 * 64;
/** Both pictures are scaled to SIDE x SIDE grey pixels; below this correlation they show different things. */
const SIDE = 16;
const MIN_CORRELATION = 0.75;

/**
 * `previews`: thumbnails and previews kept inside the file. Each JPEG preview is decoded and
 * compared with the main picture, both scaled down to the same small grey grid (bytes say
 * nothing: a re-encoded thumbnail never matches): `high` when one shows a different picture (a
 * crop or an edit that left the original behind), `low` when they agree, `medium` when the
 * comparison could not be made.
 */
export async function previewFindings(entries: readonly TagEntry[], file: string, scratchDir: string, ahead?: PictureAhead | null | Promise<PictureAhead | null>): Promise<Finding[]> {
  const oldJpeg = isOldJpegTiff(entries);
  const pages = oldJpeg ? await pageStreamNames(entries, file) : new Set<string>();
  const previews = entries.filter((t) => t.group !== "File" && PREVIEW_TAG.test(t.tag) && !(oldJpeg && OTHER_IMAGE.test(t.tag)) && !pages.has(t.tag));
  if (previews.length === 0) return [];
  const verdict = await compareWithMain(entries, file, scratchDir, (await ahead) ?? null, pages);
  if (verdict === "different") {
    return fromTags("previews", "high", "A thumbnail or preview inside the file shows a different picture from the file itself.", previews);
  }
  if (verdict === "same") return fromTags("previews", "low", "The file holds a thumbnail or preview of its picture.", previews);
  return fromTags("previews", "medium", "The file holds thumbnails or previews that may show more than the picture itself.", previews);
}

/**
 * The main picture's grey grid, decoded before the ExifTool read was there to say where the
 * previews are (`grid` null: the picture could not be decoded), and the grids of the previews the
 * header showed meanwhile, by their place. Each is the very grid the comparison would decode
 * itself: same bytes, same decoder, same arguments.
 */
export interface PictureAhead {
  grid: Uint8Array | null;
  previews: ReadonlyArray<Span & { grid: Uint8Array }>;
}

/**
 * Decodes the main picture of a JPEG ahead of the ExifTool read, so that the comparison's
 * slowest part (a decode of the whole picture: ~65 ms for 12 MP, ~230 ms for 48 MP) runs beside
 * the read instead of after it (see jpegGrid); the EXIF thumbnail is decoded here too, when its
 * IFD says where it is, so that the comparison after the read has nothing left to decode. Where
 * djpeg decodes, it writes its grey pixels into `scratchDir` (made then; the caller removes it). Only
 * where the header holds a part previews come from (an EXIF block with a thumbnail IFD, MPF,
 * Photoshop's or a vendor's segment, a JFIF thumbnail): other files rarely have one, and should
 * the read find one anyway, the comparison decodes the picture itself. Null when not decoded ahead.
 */
export async function decodePictureAhead(file: string, scratchDir: string): Promise<PictureAhead | null> {
  const head = await readJpegHeader(file);
  if (!head.previews) return null;
  const main = jpegGrid(file, head, path.join(scratchDir, "picture.pgm"));
  const thumbnail = head.thumbnail == null ? null : smallGrid(await readSpan(file, head.thumbnail));
  const previews = head.thumbnail != null && thumbnail != null ? [{ ...head.thumbnail, grid: thumbnail }] : [];
  return { grid: await main, previews };
}

/**
 * In a TIFF whose first page is old-style JPEG (compression 6), ExifTool names that page's own
 * JPEG interchange format stream (IFD0's tags 513 and 514, the only place it uses the name)
 * `OtherImage`: the page's headers and tables, often with its coded data, not a preview. In a
 * camera raw file IFD0 is itself a preview of the raw data, so only TIFF.
 */
const OTHER_IMAGE = /^OtherImage(Start|Length)?$/;

function isOldJpegTiff(entries: readonly TagEntry[]): boolean {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  return (type === "TIFF" || type === "BTF") && entries.some((t) => t.group === "EXIF" && t.tag === "Compression" && t.value === "JPEG (old-style)");
}

/**
 * The names under which ExifTool reads an old-style JPEG TIFF's later pages' own streams (IFD1's
 * as a thumbnail, IFD2's as a raw file's preview: INTERCHANGE_NAMES_BY_PAGE), where they point at
 * a page's stream: those pages, not previews of the first. An EXIF-style thumbnail there (no strips
 * of its own) is no page, and stays a preview.
 */
async function pageStreamNames(entries: readonly TagEntry[], file: string): Promise<Set<string>> {
  // Loaded for such a TIFF only: the TIFF cleaner's reader brings the PSD layers' modules with it.
  const { INTERCHANGE_NAMES_BY_PAGE, oldJpegPageStreams } = await import("../../cleaners/image/tiff.js");
  const starts = new Set(await oldJpegPageStreams(file).catch(() => []));
  const names = new Set<string>();
  for (const trio of INTERCHANGE_NAMES_BY_PAGE) {
    const start = entries.find((t) => t.group === "EXIF" && t.tag === trio[0])?.value;
    if (start != null && starts.has(Number(start))) for (const name of trio) names.add(name);
  }
  return names;
}

type Verdict = "same" | "different" | "unknown";

async function compareWithMain(entries: readonly TagEntry[], file: string, scratchDir: string, ahead: PictureAhead | null, pages: ReadonlySet<string>): Promise<Verdict> {
  // A PDF's previews are those of the pictures embedded in it: ExifTool gives their offsets inside
  // those pictures, and the PDF is no picture to decode (ffmpeg spent ~0.5 s probing it in vain).
  if (entries.some((t) => t.group === "File" && t.tag === "FileType" && t.value === "PDF")) return "unknown";
  const { size } = await fsp.stat(file);
  const isPng = entries.some((t) => t.group === "File" && t.tag === "FileType" && t.value === "PNG");
  const base = isPng ? await pngExifBase(file) : 0;
  if (base == null) return "unknown";
  const oldJpeg = isOldJpegTiff(entries);
  const ownStream = oldJpeg ? (locate(entries, size, base, [OTHER_LOCATOR])[0] ?? null) : null;
  const spans = locate(entries, size, base, oldJpeg ? LOCATORS.filter((l) => l !== OTHER_LOCATOR && !pages.has(l[0])) : LOCATORS).slice(0, MAX_COMPARED);
  if (spans.length === 0) return "unknown";
  const decodedAhead = (span: Span): Uint8Array | undefined => ahead?.previews.find((p) => p.start === span.start && p.length === span.length)?.grid;
  // The picture and its previews are decoded side by side (each decode is a program run). ffmpeg
  // decodes an old-style JPEG page as black: its own stream, when whole, is the picture.
  const [main, ...grids] = await Promise.all([
    ahead != null ? ahead.grid : !oldJpeg ? greyGrid(file, path.join(scratchDir, "picture.pgm")) : ownStream != null ? previewGrid(file, ownStream, path.join(scratchDir, "page.jpg")) : null,
    ...spans.map((span, i) => decodedAhead(span) ?? previewGrid(file, span, path.join(scratchDir, `preview${i}.jpg`))),
  ]);
  if (main == null) return "unknown";
  const decoded = grids.filter((g): g is Uint8Array => g != null);
  if (decoded.some((grid) => correlation(main, grid) < MIN_CORRELATION)) return "different";
  return decoded.length > 0 ? "same" : "unknown";
}

/** A JPEG preview's grey grid, or null when the span holds no JPEG or it cannot be decoded. */
async function previewGrid(file: string, span: Span, previewFile: string): Promise<Uint8Array | null> {
  const bytes = await readSpan(file, span);
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const small = smallGrid(bytes);
  if (small != null) return small;
  try {
    await makeDir(path.dirname(previewFile));
    await fsp.writeFile(previewFile, bytes);
    return await greyGrid(previewFile, `${previewFile}.pgm`);
  } finally {
    await fsp.rm(previewFile, { force: true });
  }
}

async function readSpan(file: string, span: Span): Promise<Buffer> {
  const bytes = Buffer.alloc(span.length);
  const handle = await fsp.open(file, "r");
  try {
    await handle.read(bytes, 0, span.length, span.start);
  } finally {
    await handle.close();
  }
  return bytes;
}

/** A preview's grey grid decoded in this thread, or null when it is no JPEG these decoders take (djpeg's then). */
function smallGrid(bytes: Buffer): Uint8Array | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const eighth = lumaAtEighth(bytes, IN_PROCESS_MAX_PIXELS);
  if (eighth != null && Math.min(eighth.width, eighth.height) >= MIN_EIGHTH_SIDE) return areaScale(eighth, SIDE);
  const small = decodeSmallJpeg(bytes);
  return small == null ? null : boxScale(small, SIDE);
}

function locate(entries: readonly TagEntry[], fileSize: number, base: number, locators: readonly Locator[]): Span[] {
  const byKey = new Map(entries.map((t) => [`${t.group}:${t.tag}`, t.value]));
  const groups = new Set(entries.map((t) => t.group));
  const spans: Span[] = [];
  for (const group of groups) {
    for (const [startTag, lengthTag] of locators) {
      const start = base + Number(byKey.get(`${group}:${startTag}`));
      const length = Number(byKey.get(`${group}:${lengthTag}`));
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 4) continue;
      if (length > MAX_PREVIEW_BYTES || start + length > fileSize) continue;
      spans.push({ start, length });
    }
  }
  return spans;
}

/**
 * The picture as SIDE x SIDE grey levels, or null when it cannot be decoded. A JPEG (every preview,
 * and most main pictures) is read at its eighth here or goes through djpeg (jpegGrid); ffmpeg
 * decodes the rest (PNG, TIFF, WebP, GIF). `pgmFile`: where djpeg writes (see decodeGrid).
 */
async function greyGrid(file: string, pgmFile: string): Promise<Uint8Array | null> {
  if (!(await isJpeg(file))) return decodeGrid(file, null);
  return jpegGrid(file, await readJpegHeader(file), pgmFile);
}

/**
 * A JPEG's grey grid: its blocks' averages read here when it is small enough to (see
 * IN_PROCESS_MAX_BYTES) and of a kind lumaAtEighth reads, else djpeg's decode scaled down while
 * decoding (decodeScale), which starts in a millisecond where ffmpeg takes ~80 ms.
 */
async function jpegGrid(file: string, head: JpegHeader, pgmFile: string): Promise<Uint8Array | null> {
  if (head.size <= IN_PROCESS_MAX_BYTES && head.frame != null && Math.min(head.frame.width, head.frame.height) >= 8 * MIN_EIGHTH_MAIN_SIDE) {
    const eighth = lumaAtEighth(await fsp.readFile(file), IN_PROCESS_MAX_MAIN_PIXELS);
    if (eighth != null) return areaScale(eighth, SIDE);
  }
  await makeDir(path.dirname(pgmFile));
  return decodeGrid(file, { scale: decodeScale(head), pgmFile });
}

/**
 * greyGrid once djpeg's scale is known (null: not a JPEG, for ffmpeg); the program is asked for
 * before this first awaits. djpeg writes its grey pixels into `pgmFile` (in an existing folder;
 * removed here once read), not through a pipe: a 48 MP picture's 750 kB came as ~180 writes of
 * 4 kB, each a wake-up of the spawner (~60 ms of its CPU a decode on the loaded machine, ~8 with
 * the file), then went through the main thread to this one.
 */
async function decodeGrid(file: string, djpeg: { scale: string; pgmFile: string } | null): Promise<Uint8Array | null> {
  // A picture that cannot be decoded in time only means this comparison cannot be made.
  if (djpeg == null) {
    const args = ["-v", "error", "-nostdin", "-threads", "1", "-noautorotate", "-i", file, "-vf", `scale=${SIDE}:${SIDE}:flags=area,format=gray`, "-frames:v", "1", "-f", "rawvideo", "-"];
    const r = await runOrNull(runTool("ffmpeg", args, { timeoutMs: DECODE_TIMEOUT_MS, maxOutputBytes: MAX_DECODED_BYTES }));
    return r?.code === 0 && r.stdout.length === SIDE * SIDE ? new Uint8Array(r.stdout) : null;
  }
  try {
    const args = ["-grayscale", "-scale", djpeg.scale, "-pnm", "-outfile", djpeg.pgmFile, file];
    const r = await runOrNull(runTool("djpeg", args, { timeoutMs: DECODE_TIMEOUT_MS, maxFileBytes: MAX_DECODED_BYTES }));
    if (r?.code !== 0) return null;
    const pgm = parsePgm(await fsp.readFile(djpeg.pgmFile));
    return pgm == null ? null : boxScale(pgm, SIDE);
  } finally {
    await fsp.rm(djpeg.pgmFile, { force: true });
  }
}

/** A small JPEG's grey levels decoded in this thread, or null to leave it to djpeg. */
function decodeSmallJpeg(bytes: Buffer): Grey | null {
  let rgb: { width: number; height: number; data: Uint8Array };
  try {
    rgb = jpegJs.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: IN_PROCESS_MAX_PIXELS / 1e6, maxMemoryUsageInMB: 8 });
  } catch {
    return null;
  }
  const { width, height, data } = rgb;
  if (width <= 0 || height <= 0 || data.length < width * height * 3) return null;
  const pixels = new Uint8Array(width * height);
  // Luma as djpeg -grayscale gives it for a colour picture (ITU-R BT.601 weights).
  for (let i = 0, j = 0; i < pixels.length; i++, j += 3) pixels[i] = (299 * data[j]! + 587 * data[j + 1]! + 114 * data[j + 2]! + 500) / 1000;
  return { width, height, pixels };
}

async function isJpeg(file: string): Promise<boolean> {
  const handle = await fsp.open(file, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(3), 0, 3, 0);
    return bytesRead === 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff;
  } finally {
    await handle.close();
  }
}

/** djpeg's binary PGM: `P5 W H 255` then one byte a pixel. */
function parsePgm(bytes: Buffer): Grey | null {
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 64).toString("latin1"));
  if (m == null) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  const pixels = bytes.subarray(m[0].length);
  return width > 0 && height > 0 && pixels.length >= width * height ? { width, height, pixels: new Uint8Array(pixels.subarray(0, width * height)) } : null;
}

/** Averages the source pixels falling in each of side x side cells (the nearest one when none does). */
function boxScale(src: Grey, side: number): Uint8Array {
  const out = new Uint8Array(side * side);
  for (let cy = 0; cy < side; cy++) {
    const y0 = Math.floor((cy * src.height) / side);
    const y1 = Math.max(y0 + 1, Math.floor(((cy + 1) * src.height) / side));
    for (let cx = 0; cx < side; cx++) {
      const x0 = Math.floor((cx * src.width) / side);
      const x1 = Math.max(x0 + 1, Math.floor(((cx + 1) * src.width) / side));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += src.pixels[y * src.width + x] ?? 0;
      out[cy * side + cx] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return out;
}

/**
 * Averages the source pixels under each of side x side cells, weighing those a cell's edge cuts by
 * the part it covers: a 20 x 15 grid of block averages has cells of 1.25 blocks, which boxScale's
 * whole pixels would shift by up to half a block (same-picture correlations fell as low as 0.77).
 */
function areaScale(src: Grey, side: number): Uint8Array {
  const out = new Uint8Array(side * side);
  const cellWidth = src.width / side;
  const cellHeight = src.height / side;
  for (let cy = 0; cy < side; cy++) {
    const y0 = cy * cellHeight;
    const y1 = y0 + cellHeight;
    for (let cx = 0; cx < side; cx++) {
      const x0 = cx * cellWidth;
      const x1 = x0 + cellWidth;
      let sum = 0;
      let weight = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += (src.pixels[y * src.width + x] ?? 0) * w;
          weight += w;
        }
      }
      out[cy * side + cx] = Math.round(sum / weight);
    }
  }
  return out;
}

/**
 * Pearson correlation of two grey grids: insensitive to brightness and contrast (a thumbnail
 * encoded with another curve), low for another picture. Two flat grids compare by their level.
 */
function correlation(a: Uint8Array, b: Uint8Array): number {
  const mean = (x: Uint8Array): number => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  const flat = 16 * a.length; // a standard deviation under 4 grey levels
  if (va < flat || vb < flat) return va < flat && vb < flat && Math.abs(ma - mb) < 32 ? 1 : 0;
  return cov / Math.sqrt(va * vb);
}
