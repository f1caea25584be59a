import fsp from "node:fs/promises";
import CFB from "cfb";
import { readCompound } from "./compound-read.js";
import { LIBRARY_STREAM, OLE_OBJECT } from "../../metadata/compound-types.js";
import { BadFileError } from "../errors.js";
import { hiddenOf } from "../hidden-counts.js";
import { isGraphChart, nameProgram } from "./comp-obj.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { compoundDamage } from "./compound-damage.js";
import { brokenTree } from "./compound-tree.js";
import { DAMAGED } from "./damaged.js";
import { cleanEmbeddedFiles } from "./embedded-files.js";
import { cleanEmbeddedStorages } from "./embedded-storages.js";
import { emptyStorage } from "./empty-storage.js";
import { holdsHeadlessJpeg } from "../image/headless-jpeg.js";
import { holdsPictureMetadata } from "../image/pictures-in-place.js";
import { deflateBudget } from "./deflate-to-fit.js";
import { cleanPrintCache } from "./embedded-metafile.js";
import { cleanPresentationCache, PRESENTATION_CACHE } from "./presentation-cache.js";
import { ENCRYPTED } from "./encrypted.js";
import { MACROS } from "./macros.js";
import { type CleanedPicture, cleanPictures } from "./embedded-pictures.js";
import { checkRecords, scrubWorkbook, withDrawingGroups } from "./excel.js";
import { EXCEL_RECORD_TYPES, GRAPH_RECORD_TYPES } from "./excel-record-types.js";
import { bareShapeFileNames } from "./shape-file-names.js";
import { pictureOutcome } from "./picture-counts.js";
import { scrubPivotCache } from "./pivot-caches.js";
import { scrubCurrentUser } from "./powerpoint.js";
import { blankPresentationComments } from "./powerpoint-comments.js";
import { zeroSupersededRecords } from "./powerpoint-edits.js";
import { barePresentationLinks } from "./powerpoint-links.js";
import { cleanPresentationObjects } from "./powerpoint-objects.js";
import { refuseUnknownObjects } from "./ole-object.js";
import { checkSameLegacyText } from "./same-text.js";
import { nameGivenTwice, nameWithSlash, sameName } from "./stream-names.js";
import { readFib } from "./word-fib.js";
import { zeroLeftovers } from "./word-leftovers.js";
import { scrubWord, staleTableStreamOf, tableStreamOf } from "./word.js";
import { bareDataLinks } from "./word-data-links.js";
import { bareFieldPaths } from "./word-fields.js";
import { blankReview } from "./word-review.js";

/** Storages that mean the document cannot be cleaned, and why, in words (names compare without case, as in [MS-CFB]). */
const REFUSED: ReadonlyArray<[RegExp, string]> = [
  [/(^|\/)(EncryptedPackage|\x06DataSpaces)(\/|$)/i, ENCRYPTED],
  [/(^|\/)(_VBA_PROJECT_CUR|_VBA_PROJECT|Macros)(\/|$)/i, MACROS],
];

/** A workbook's pivot cache streams: Excel 97-2003's (BIFF8) and Excel 5.0/95's (BIFF5) storages. */
const PIVOT_CACHE = /^(_SX_DB_CUR|_SX_DB)\/[^/]+$/i;

/**
 * Parts that are metadata whole: property-set streams (their names start with byte 5:
 * SummaryInformation, DocumentSummaryInformation with its custom properties, and any other, in
 * the document and in every embedded object) and Office's data store of custom XML properties.
 */
const DROPPED = /(^|\/)(\x05[^/]*|MsoDataStore)(\/|$)/i;

/**
 * A stream that is a property set by its content ([MS-OLEPS] 2.21: byte order 0xFFFE, version 0
 * or 1, one or two sets, the first after the header), whatever its name: one whose name lost its
 * leading byte 5 (a damaged directory entry) is read by no Office program, but holds the same
 * title, authors and dates.
 */
function isPropertySet(e: CFB.CFB$Entry): boolean {
  if (e.type !== 2 || e.content == null || e.content.length < 48) return false;
  const b = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
  if (b[0] !== 0xfe || b[1] !== 0xff || b[3] !== 0 || b[2]! > 1) return false;
  const sets = b.readUInt32LE(24);
  const first = b.readUInt32LE(44);
  return (sets === 1 || sets === 2) && first >= 48 && first < b.length;
}

/**
 * What ExifTool still reads from a clean Word file: the FIB's identification and flags, the
 * application name of the CompObj stream (how the type is recognised), and the statistics of
 * the document properties (counts of its own text).
 */
const STRUCTURAL = new Set([
  "CompObjUserTypeLen", "CompObjUserType", "Identification", "LanguageCode", "DocFlags", "System", "Word97",
  "Words", "Characters", "Pages", "Paragraphs", "Lines",
]);
/**
 * Fields that must exist and are left blank or zero. ExifTool's CurrentUser runs on past the
 * name into the version bytes that follow it, so "blank" means no letter or digit.
 */
const blank = (v: string): boolean => !/[\p{L}\p{N}]/u.test(v);
const zeroDate = (v: string): boolean => v === "0000:00:00 00:00:00";
const NEUTRAL: Readonly<Record<string, (v: string) => boolean>> = {
  CreateDate: zeroDate,
  ModifyDate: zeroDate,
  LastPrinted: zeroDate,
  RevisionNumber: (v) => v === "0",
  TotalEditTime: (v) => v === "0" || v === "0 s",
  CurrentUser: blank,
  CommentBy: blank,
};

/**
 * Word, Excel and PowerPoint 97-2003: OLE2 compound files ([MS-CFB]) read and written with the
 * `cfb` library. The property-set streams are dropped, the author fields of the binary formats
 * are blanked in place (word.ts, excel.ts, powerpoint.ts; a workbook's pivot caches' last
 * refresher and refresh date: pivot-caches.ts; the local paths of a Word document's fields,
 * hyperlinks and linked pictures cut to bare names: word-fields.ts, word-data-links.ts), so are a
 * presentation's comments (their
 * text unless kept, their authors and dates always: powerpoint-comments.ts), a workbook's cell
 * comments (likewise, with no dates: workbook-notes.ts) and a Word document's comments and
 * the text of its tracked deletions unless `keep` asks for them (its other revision marks and its
 * revision marking then turned off), and its revision marks' dates
 * (word-review.ts), the Word, Excel and PowerPoint documents embedded as storages by this cleaner
 * in turn (embedded-storages.ts), the files embedded whole in objects (an Office 2007+ document, a packaged
 * file; a presentation's embedded objects' storages, in place) by their own cleaners (embedded-files.ts,
 * powerpoint-objects.ts), the JPEG, PNG, TIFF and DIB pictures in any
 * stream lose their metadata in place, the EMF and WMF drawings their descriptions and comments
 * (counted as `metafileText`) (embedded-pictures.ts), and every directory entry loses
 * its creation and modification times. The text, the formatting and the rest of the streams are
 * copied as they are. (The library adds a 4-byte stream of its own, "\x01Sh33tJ5", to every file
 * it writes: a constant, read by no Office program. An object's storage that holds nothing is
 * written without it, by hand: empty-storage.ts.)
 *
 * An embedded object saved as a file of its own (an OLE object: DOCX/XLSX/PPTX's
 * `oleObjectN.bin`) is cleaned the same way; its streams, and those of a Word or Excel document's
 * object storages, are held to those the cleaner knows (ole-object.ts).
 *
 * Not yet cleaned: pictures of other kinds (PICT), so a document in which EXIF, XMP or
 * PNG text is still found after cleaning is refused (image/pictures-in-place.ts).
 */
export const legacyOfficeCleaner: Cleaner = {
  name: "legacy-office",
  fileTypes: ["DOC", "DOT", "XLS", "XLT", "PPT", "PPS", "POT", OLE_OBJECT],

  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const bytes = await fsp.readFile(ctx.input);
    let doc: CFB.CFB$Container;
    try {
      doc = readCompound(bytes);
    } catch (err) {
      throw new BadFileError(DAMAGED, err);
    }
    const damage = compoundDamage(bytes);
    if (damage != null) throw new BadFileError(DAMAGED, new Error(`legacy-office: the compound file is damaged: ${damage}`));
    // The library reads a stream cut short by the file's end as far as it goes.
    const cut = doc.FileIndex.find((e) => e.type === 2 && (e.content?.length ?? 0) < e.size);
    if (cut != null) throw new BadFileError(DAMAGED, new Error(`legacy-office: the stream ${JSON.stringify(cut.name)} is cut short`));
    const tree = brokenTree(doc);
    if (tree != null) throw new BadFileError(DAMAGED, new Error(`legacy-office: the compound file's directory is damaged: ${tree}`));
    const slashed = nameWithSlash(doc);
    if (slashed != null) throw new BadFileError(DAMAGED, new Error(`legacy-office: an entry is named ${JSON.stringify(slashed)}, with a slash`));
    const twice = nameGivenTwice(doc);
    if (twice != null) throw new BadFileError(DAMAGED, new Error(`legacy-office: two entries of one storage are named ${JSON.stringify(twice)}`));
    const paths = doc.FullPaths.map(inner);
    for (const [re, why] of REFUSED) if (paths.some((p) => re.test(p))) throw new BadFileError(why);

    const keep = paths.map((p, i) => !DROPPED.test(p) && !isPropertySet(doc.FileIndex[i]!));
    doc.FileIndex = doc.FileIndex.filter((_, i) => keep[i]);
    doc.FullPaths = doc.FullPaths.filter((_, i) => keep[i]);
    // The entries' tree links (left, right, child) are indexes into the lists just shortened: the
    // library relinks them only when it sees them broken, and a file it wrote itself (a document
    // made by a script, a copy cleaned before) lost its streams' tree otherwise.
    CFB.utils.cfb_gc(doc);
    for (const e of doc.FileIndex) {
      delete e.ct;
      delete e.mt;
    }
    // Documents embedded as storages go to their own cleaner first; what follows leaves their streams alone.
    const storages = await cleanEmbeddedStorages(ctx, doc);
    const ours = (i: number): boolean => !storages.some((s) => doc.FullPaths[i]!.startsWith(s));
    refuseUnknownObjects(doc, ctx.fileType === OLE_OBJECT, ours);

    const stream = (name: string): Buffer | null => {
      const i = doc.FullPaths.findIndex((p) => sameName(inner(p), name));
      const e = i < 0 ? undefined : doc.FileIndex[i];
      // An empty stream (a Word document's `Data` when it holds no pictures) has no content at all.
      if (e == null || e.type !== 2 || e.content == null) return null;
      const b = Buffer.from(e.content);
      e.content = b;
      return b;
    };
    const word = stream("WordDocument");
    let hidden: Record<string, number> = {};
    let removedText = "";
    if (word != null) {
      const table = tableStreamOf(word, stream);
      staleTableStreamOf(word, stream)?.fill(0);
      zeroLeftovers(word, table, readFib(word));
      scrubWord(word, table);
      bareFieldPaths(word, table);
      const data = stream("Data");
      if (data != null) bareDataLinks(data);
      const review = blankReview(word, table, data, { comments: !ctx.keep.has("comments"), trackedChanges: !ctx.keep.has("trackedChanges") });
      if (review.objects > 0) {
        throw new BadFileError("The document holds a picture or an object inside a comment or a tracked deletion, which this service cannot remove from a Word 97-2003 file.");
      }
      hidden = hiddenOf({ comments: review.comments, trackedChanges: review.changes });
      removedText = review.removedText;
    }
    // Excel's "97 & 5.0/95" format holds the workbook twice, as BIFF8 (Workbook) and as BIFF5
    // (Book, which Excel 5.0 and 95 read): both are scrubbed, their comments counted once.
    const workbooks = [stream("Workbook"), stream("Book")].filter((b) => b != null);
    const workbook = workbooks[0] ?? null;
    const types = isGraphChart(stream("\x01CompObj")) ? GRAPH_RECORD_TYPES : EXCEL_RECORD_TYPES;
    for (const b of workbooks) {
      const { damage, end } = checkRecords(b, types);
      if (damage != null) throw new BadFileError(`The Excel 97-2003 workbook could not be read: ${damage}.`);
      b.fill(0, end);
    }
    const notes = workbooks.map((b) => scrubWorkbook(b, { comments: !ctx.keep.has("comments") }).comments);
    if (Math.max(0, ...notes) > 0) hidden = { ...hidden, comments: Math.max(...notes) };
    for (const [i, p] of doc.FullPaths.entries()) {
      const cache = PIVOT_CACHE.exec(inner(p));
      const e = doc.FileIndex[i]!;
      if (workbook == null || cache == null || e.type !== 2 || e.content == null || !ours(i)) continue;
      const b = Buffer.from(e.content);
      e.content = b;
      scrubPivotCache(b, /_CUR$/i.test(cache[1]!));
    }
    const currentUser = stream("Current User");
    if (currentUser != null) scrubCurrentUser(currentUser);
    const presentation = stream("PowerPoint Document");
    if (presentation != null) {
      if (currentUser != null) removedText = zeroSupersededRecords(presentation, currentUser, stream("Pictures")).text;
      barePresentationLinks(presentation);
      const comments = blankPresentationComments(presentation, { text: !ctx.keep.has("comments") });
      if (comments > 0) hidden = { ...hidden, comments };
    }
    // What the document's drawings and objects may have deflated tightly, in all.
    const budget = await deflateBudget();
    if (presentation != null) await cleanPresentationObjects(ctx, presentation, budget);

    // Pictures are looked for in every stream, embedded objects' too.
    const keepProfile = ctx.keep.has("colorProfile");
    const pictures: CleanedPicture[] = [];
    let metafileTexts = 0;
    for (const [i, e] of doc.FileIndex.entries()) {
      if (e.type !== 2 || e.content == null || !ours(i)) continue;
      const b = Buffer.from(e.content);
      e.content = b;
      bareShapeFileNames(b);
      const cache = sameName(e.name, "\x03EPRINT") ? cleanPrintCache(b) : PRESENTATION_CACHE.test(e.name) ? cleanPresentationCache(b) : null;
      if (cache != null) {
        e.content = cache.cleaned;
        e.size = cache.cleaned.length;
        metafileTexts += cache.texts;
      } else if (/^(Workbook|Book)$/i.test(e.name)) withDrawingGroups(b, (group) => (metafileTexts += cleanPictures(group, keepProfile, pictures, budget)));
      else metafileTexts += cleanPictures(b, keepProfile, pictures, budget);
    }
    if (metafileTexts > 0) hidden = { ...hidden, metafileText: metafileTexts };
    await cleanEmbeddedFiles(ctx, doc, ours);

    const left = doc.FileIndex.map((e) => (e.type === 2 && e.content != null ? pictureMetadataLeft(e.name, Buffer.from(e.content)) : null));
    if (left.includes("metadata")) {
      throw new BadFileError(
        "The document holds pictures that carry metadata of their own (camera, place, author) in a form this service cannot remove from inside Office 97-2003 files.",
      );
    }
    if (left.includes("damaged")) {
      throw new BadFileError(
        "The document holds a damaged picture whose start is lost: what stood before its image data (a camera, place or author, perhaps) cannot be told apart and removed.",
      );
    }
    nameProgram(doc);
    renameRoot(doc);
    const empty = doc.FileIndex.every((e, i) => i === 0 || e.type === 0 || sameName(e.name, LIBRARY_STREAM));
    const out = empty ? emptyStorage(doc.FileIndex[0]!) : (CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
    await fsp.writeFile(ctx.output, out, { flag: "wx" });
    await checkSameLegacyText(ctx.input, ctx.output, ctx.fileType, removedText);
    return { hidden, ...(pictures.length === 0 ? {} : { nested: await pictureOutcome(ctx, pictures) }) };
  },

  isStructural(t: FoundTag): boolean {
    if (t.group !== "FlashPix") return false;
    if (STRUCTURAL.has(t.tag)) return true;
    const neutral = NEUTRAL[t.tag];
    return neutral != null && (typeof t.value === "string" || typeof t.value === "number") && neutral(String(t.value));
  },
};

/**
 * Whether a stream still holds picture metadata once cleaned (holdsPictureMetadata), or a JPEG
 * whose start was lost, which may hold any of it in a form nothing can find. A workbook's pictures
 * are whole only in its drawing group joined from its records: the record headers Excel puts
 * every 8 KB would break the walk from a picture's start.
 */
function pictureMetadataLeft(name: string, stream: Buffer): "metadata" | "damaged" | null {
  if (holdsPictureMetadata(stream)) return "metadata";
  let headless = false;
  if (/^(Workbook|Book)$/i.test(name)) withDrawingGroups(stream, (group) => (headless ||= holdsHeadlessJpeg(group)));
  else headless = holdsHeadlessJpeg(stream);
  return headless ? "damaged" : null;
}

/**
 * The root storage is named "Root Entry" ([MS-CFB] 2.6.2), which the library writes from the
 * paths: any other name (31 characters of the writer's choosing, which no reader shows) would go
 * back as it was. One character is left as it is: PowerPoint gives some empty object storages one
 * (Tika's testPPT.ppt), and the standard name would not deflate into the record's room.
 */
function renameRoot(doc: CFB.CFB$Container): void {
  const root = doc.FullPaths[0] ?? "";
  const name = doc.FileIndex[0]?.name ?? "";
  if (name === "Root Entry" || [...name].length <= 1) return;
  doc.FullPaths = doc.FullPaths.map((p) => (p.startsWith(root) ? `Root Entry/${p.slice(root.length)}` : p));
  doc.FileIndex[0]!.name = "Root Entry";
}

/** "Root Entry/WordDocument" -> "WordDocument": paths inside the root storage. */
function inner(fullPath: string): string {
  return fullPath.replace(/^[^/]*\//, "").replace(/\/$/, "");
}
