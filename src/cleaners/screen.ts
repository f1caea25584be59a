import { SaxesParser } from "saxes";
import { currentChannel } from "../isolation/worker-channel.js";
import { TooComplexError } from "./errors.js";
import { FileBytes, PastHeadError, readHead } from "./file-bytes.js";
import { checkPsdShape, isPsdHead } from "./image/psd-screen.js";
import { checkZipShape, isZipHead } from "./archive/zip-screen.js";
import { checkGifShape, isGifHead } from "./image/gif-screen.js";
import { checkJpegBytes, checkJpegShape, isJpegHead, jpegNeedsCheck } from "./image/jpeg-screen.js";
import { checkJ2cShape, isJ2cHead } from "./image/j2c-screen.js";
import { checkJp2Shape, isJp2Head } from "./image/jp2-screen.js";
import { checkJxlShape, isJxlHead } from "./image/jxl-screen.js";
import { isPngHead } from "./image/png-chunks.js";
import { checkPngShape } from "./image/png-screen.js";
import { checkTiffShape, isTiffHead } from "./image/tiff-screen.js";
import { checkFlacFile, checkFlacShape, isFlacAt } from "./media/flac-screen.js";
import { checkId3Bytes, checkId3Shape, isId3Head } from "./media/id3-screen.js";
import { checkRiffShape, isRiffHead } from "./media/riff-screen.js";
import { checkIsoShape, isIsoHead } from "./media/iso-screen.js";
import { checkMatroskaShape, isMatroskaHead } from "./media/matroska-screen.js";
import { isCompoundHead } from "./legacy-office/compound-directory.js";
import { checkCompoundShape } from "./legacy-office/compound-screen.js";
import { checkPdfShape, isPdfHead } from "./pdf/pdf-screen.js";
import { writePdfView } from "./pdf/pdf-view.js";
import { type DecryptedPdf, readEncryption } from "./pdf/decrypted-view.js";
import { isPostScriptHead } from "./postscript/postscript-head.js";
import { writeIsoView } from "./media/iso-view.js";
import { xmlEncodingOf } from "./xml-encoding.js";
import { checkXmlFileShape, SVG_LIMITS } from "./xml-limits.js";
import { checkXmpNamespaces, declaresNamespaces, XmpNamespaceTally } from "./xmp-namespaces.js";

/** Enough of a file's start to hold its XML declaration, DOCTYPE and comments before the root. */
export const SCREEN_HEAD_BYTES = 64 * 1024;

/**
 * Whether a file must have its shape checked before ExifTool reads it: an SVG, or XML whose root
 * does not show within its first 64 kB, in UTF-8 or UTF-16. ExifTool reads an SVG as XML and spends minutes on one
 * holding millions of attributes (issue 12: a 65 MB SVG held a process past the request's
 * deadline), so such a file is refused first. So is any file declaring XML namespaces in its first
 * bytes (XMP, read by ExifTool at a cost growing with the square of its namespaces: see
 * xmp-namespaces.ts; a JPEG's or an audio tag's within the head are counted there), and any
 * PostScript file (its XMP packet may lie anywhere). A Photoshop document too: ExifTool spends a minute
 * on millions of empty image resources, and files made of chunks that ExifTool turns into a tag
 * each: QuickTime / ISO BMFF (MP4, MOV, M4A, HEIC...: a million tiny boxes held it a minute), PNG,
 * GIF, ZIP (every member is tags), RIFF (WAV, AVI, WebP), FLAC, ID3v2 tags, TIFF directories (and raw formats built on them), Matroska and WebM elements, compound files' directories (Word, Excel, PowerPoint, Outlook), JPEG XL and JPEG 2000 boxes and their EXIF blocks, bare JPEG 2000 codestreams' comments, PDF (every object and cross-reference entry), and JPEGs whose first scan is not within their first bytes. Cheap (one small read), so it runs on the main
 * thread for every file; the check itself walks the file and runs in a worker.
 */
export async function needsShapeCheck(file: string): Promise<boolean> {
  return needsShapeCheckOf(await readHead(file, SCREEN_HEAD_BYTES));
}

/** The same, from the file's first SCREEN_HEAD_BYTES (all of it when it is shorter). */
export function needsShapeCheckOf(bytes: Buffer): boolean {
  if (isPsdHead(bytes) || isIsoHead(bytes) || isPngHead(bytes) || isGifHead(bytes) || isZipHead(bytes) || isRiffHead(bytes) || isFlacAt(bytes) || isId3Head(bytes) || isTiffHead(bytes) || isMatroskaHead(bytes) || isCompoundHead(bytes) || isPdfHead(bytes) || isJxlHead(bytes) || isJ2cHead(bytes) || isJp2Head(bytes)) return true;
  if (isJpegHead(bytes)) return jpegNeedsCheck(bytes) || declaresNamespaces(bytes);
  // PostScript's XMP may come after its first bytes (past a preview, fonts, a placed picture).
  return needsXmlCheck(bytes) || declaresNamespaces(bytes) || isPostScriptHead(bytes);
}

/**
 * Whether a file whose first SCREEN_HEAD_BYTES are `head` (of `size` bytes in all) passes its check
 * on those bytes alone: an MP3's ID3v2 tag (and a FLAC file's metadata blocks) ending within them,
 * as cover art of tens of kilobytes does, and a JPEG's EXIF segments before a first scan within
 * them (a photo's), are walked here on the main thread, which spares the
 * request a worker's trip and a window read of the file. The walk is bounded by the head (64 kB:
 * at most ~16,000 block heads) as jpegNeedsCheck's is. False when it needs more bytes, and when the
 * file is to be refused: the worker's check then refuses it as before.
 */
export async function passesInHead(head: Buffer, size: number): Promise<boolean> {
  const walk = isId3Head(head) ? checkId3Bytes : isFlacAt(head) ? (src: FileBytes) => checkFlacShape(src, 0) : isJpegHead(head) ? checkJpegBytes : null;
  if (walk == null) return false;
  try {
    await walk(FileBytes.ofHead(head, size));
    // Their XMP is within the head too (a JPEG's APP1 segments come before its first scan).
    new XmpNamespaceTally("the file").scan(head);
    return true;
  } catch (err) {
    if (err instanceof PastHeadError || err instanceof TooComplexError) return false;
    throw err;
  }
}

/** Whether `bytes` start an SVG, or XML whose root does not show in them. */
function needsXmlCheck(bytes: Buffer): boolean {
  const decoder = new TextDecoder(xmlEncodingOf(bytes));
  // Most files are no XML, and their first characters say so: decoding 64 kB of a photo as text
  // cost ~1 ms of the main thread per request. Only a start of nothing but spaces reads further.
  const start = decoder.decode(bytes.subarray(0, 1024));
  if (!/^\s*</.test(start) && /\S/.test(start)) return false;
  const head = decoder.decode(bytes);
  if (!/^\s*</.test(head)) return false;
  const root = rootName(head);
  return root == null || root.replace(/^.*:/, "").toLowerCase() === "svg";
}

/**
 * Hidden boxes worth a view of the file for ExifTool (see writeIsoView): ~25 ms of its time, more
 * than writing the view costs.
 */
const VIEW_MIN_HIDDEN_BOXES = 1_000;

/** What the screen found of a file it let through. */
export interface Screened {
  /** Whether it wrote a view of the file for ExifTool to read in its place. */
  viewed: boolean;
  /**
   * The memory the file's reading and cleaning are expected to take where its structure says more
   * than its size does (a PDF's objects, see pdf-screen.ts), in bytes; 0 for other files.
   */
  weight: number;
  /** A PDF that needs a password to open (pdf/locked.ts): no cleaning can read it. */
  locked: boolean;
  /**
   * Where the view is an encrypted PDF's decrypted copy: what ExifTool reads of the original itself,
   * added to its read of the view (pdf/decrypted-view.ts).
   */
  decrypted: DecryptedPdf | null;
}

/**
 * Refuses (TooComplexError) an XML file past the SVG cleaner's limits, streaming it, a Photoshop
 * document past its cleaner's, or a file of more chunks (boxes, segments, blocks, frames) than
 * ExifTool reads in time. Given `view` (a path), it writes there a view of the file for ExifTool
 * to read in its place when the file holds parts only our walk needs to see (the plain fragments
 * of a long recording), when it is a PDF ExifTool would decrypt in Perl or whose header it would
 * miss (pdf/pdf-view.ts), and says so; without, such files are refused past ExifTool's limits as
 * any other.
 */
export async function checkShape(file: string, view?: string): Promise<Screened> {
  const head = await readHead(file, SCREEN_HEAD_BYTES);
  const check = chunkCheckOf(head);
  // A PDF's screen counts them in its own pass over the file (pdf-xmp-screen.ts), a PNG's outside
  // the image data ExifTool seeks past (png-screen.ts).
  if (check != null ? !isPngHead(head) : !isPdfHead(head)) await checkXmpNamespaces(file);
  if (check != null) {
    await check(file);
    return { viewed: false, weight: 0, locked: false, decrypted: null };
  }
  // A PDF's header may follow other bytes, an XML file's too: each check that applies runs.
  const pdf = isPdfHead(head) ? await checkPdfShape(file) : null;
  const weight = pdf?.weight ?? 0;
  // One read of qpdf's tells both whether it needs a password and how it is encrypted.
  const encryption = pdf?.encrypted === true ? await readEncryption(file, pdf.encryptRefs) : null;
  const locked = encryption === "locked";
  const pdfView = pdf != null && encryption !== "locked" && view != null ? await writePdfView(file, head, pdf, encryption, view) : null;
  let viewed = pdfView != null;
  // An XML file's first bytes can name a box too ("<svgfree..."): both checks then run.
  if (isIsoHead(head)) {
    const shape = await checkIsoShape(file, { hide: view != null });
    if (view != null && shape.hiddenBoxes >= VIEW_MIN_HIDDEN_BOXES) {
      await writeIsoView(file, view, shape.hidden);
      viewed = true;
    }
  }
  if (needsXmlCheck(head)) await checkXmlFileShape(file, SVG_LIMITS, "XML file");
  return { viewed, weight, locked, decrypted: pdfView?.decrypted ?? null };
}

/** The check of a format made of chunks, other than QuickTime / ISO BMFF, that `head` starts. */
function chunkCheckOf(head: Buffer): ((file: string) => Promise<void>) | null {
  if (isPsdHead(head)) return checkPsdShape;
  if (isPngHead(head)) return checkPngShape;
  if (isGifHead(head)) return checkGifShape;
  if (isZipHead(head)) return checkZipShape;
  if (isRiffHead(head)) return checkRiffShape;
  if (isJpegHead(head)) return checkJpegShape;
  if (isFlacAt(head)) return checkFlacFile;
  if (isId3Head(head)) return checkId3Shape;
  if (isTiffHead(head)) return checkTiffShape;
  if (isMatroskaHead(head)) return checkMatroskaShape;
  if (isCompoundHead(head)) return checkCompoundShape;
  if (isJxlHead(head)) return checkJxlShape;
  if (isJ2cHead(head)) return checkJ2cShape;
  if (isJp2Head(head)) return checkJp2Shape;
  return null;
}

/**
 * Both, for a file already in a worker (a nested file: an SVG inside a ZIP or a document), given
 * `view` as for an upload: ExifTool reads a nested encrypted PDF's decrypted copy or a PDF whose
 * header follows other bytes through it as it reads an uploaded one. One that weighs more than
 * its size (a PDF of many objects) takes its room in the work budget before any tool reads it, as
 * a file of its own would (see serve-task.ts).
 */
export async function screenHere(file: string, view?: string): Promise<Screened> {
  if (!(await needsShapeCheck(file))) return { viewed: false, weight: 0, locked: false, decrypted: null };
  const screened = await checkShape(file, view);
  if (screened.weight > 0) await currentChannel()?.call({ op: "weigh", bytes: screened.weight });
  return screened;
}

/** The name of the first element in `head`, if it shows there. */
function rootName(head: string): string | undefined {
  const parser = new SaxesParser({ xmlns: false, position: false });
  let root: string | undefined;
  const found = new Error("root found");
  parser.on("opentagstart", (tag) => {
    root = tag.name;
    throw found;
  });
  parser.on("error", () => undefined);
  try {
    parser.write(head);
  } catch (err) {
    if (err !== found) throw err;
  }
  return root;
}
