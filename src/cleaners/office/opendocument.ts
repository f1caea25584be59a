import type { Document } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import { ODF_TEMPLATE_MIME_TYPES } from "../file-type.js";
import { ENCRYPTED } from "../legacy-office/encrypted.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { cleanEmbedded } from "./embedded.js";
import { checkSameFinalText } from "./final-text.js";
import { DROPPED, isMarkupPart, MANIFEST, MANIFEST_NS, MIMETYPE, OLE_OBJECT_TYPE, planDrops, targetsOf, usesOf, type Uses } from "./odf-package.js";
import { recordingReferences } from "./odf-references.js";
import { odfRules } from "./odf-rules.js";
import { readXmlPart, saveXmlPart } from "./part-io.js";
import { hiddenOf } from "../hidden-counts.js";
import { newReviewCounts, reviewPolicy, type ReviewCounts } from "./review.js";
import { zipStructural } from "./structural.js";
import { removeComments, removeNode } from "./xml.js";
import { rewritePart } from "./xml-stream.js";
import { extractDocument, isXmlName, type FileEntry, type ZipEntry } from "./zip-read.js";
import { writeZip, type OutEntry } from "./zip-write.js";

/** Embedded fonts are copied: their name tables describe the font, not the document's author. */
const AS_IS = /\.(ttf|otf|eot|woff2?)$/i;

/**
 * The `mimetype` written for each type. ExifTool reads only the first word of the entry, so the
 * original could carry more after it: it is rewritten, not copied. The templates are named as
 * `file-type.ts` names them (ExifTool calls them ZIP).
 */
const MIME_TYPES: Readonly<Record<string, string>> = {
  ODT: "application/vnd.oasis.opendocument.text",
  ODS: "application/vnd.oasis.opendocument.spreadsheet",
  ODP: "application/vnd.oasis.opendocument.presentation",
  ODG: "application/vnd.oasis.opendocument.graphics",
  ODF: "application/vnd.oasis.opendocument.formula",
  ODC: "application/vnd.oasis.opendocument.chart",
  ...ODF_TEMPLATE_MIME_TYPES,
};

/** ExifTool's names of the OpenDocument types. */
export const ODF_TYPES: ReadonlySet<string> = new Set(Object.keys(MIME_TYPES));

/** OpenDocument text, spreadsheet, presentation, drawing, formula and chart, and their templates. */
export const openDocumentCleaner: Cleaner = {
  name: "opendocument",
  fileTypes: Object.keys(MIME_TYPES),
  clean: cleanOpenDocument,
  isStructural: zipStructural(MIMETYPE),
};

async function cleanOpenDocument(ctx: CleanContext): Promise<CleanOutcome> {
  const entries = await extractDocument(ctx.input, ctx.workDir);
  const mime = MIME_TYPES[ctx.fileType];
  if (mime == null || !entries.some((e) => e.name === MIMETYPE && !e.directory)) throw new BadFileError("The document has no valid mimetype entry.");
  const manifest = await readManifest(entries);
  const kept = entries.filter((e) => e.name !== MIMETYPE && !DROPPED.test(e.name));
  const targets = targetsOf(kept.filter((e) => !e.directory).map((e) => e.name), oleObjectsOf(manifest));
  const uses = usesOf(targets);
  const recording = targets.files.length + targets.folders.length > 0 ? uses : null;
  const counts = newReviewCounts();
  const cleaned = new Map<ZipEntry, OutEntry | null>();
  // The markup first: what it names in what is kept decides which pictures and objects stay.
  for (const e of kept.filter((k) => !k.directory && isMarkupPart(k.name))) {
    cleaned.set(e, await cleanEntry(ctx, e, counts, { manifest, uses: recording, dropped: () => false }));
  }
  const plan = planDrops(targets, uses);
  const gone = new Set(kept.filter((e) => plan.dropped(e.name)));
  for (const e of kept) {
    if (cleaned.has(e) || gone.has(e)) continue;
    cleaned.set(e, await cleanEntry(ctx, e, counts, { manifest, uses: null, dropped: plan.dropped }));
  }
  // The format requires `mimetype` first and stored, so that its type can be read at a fixed offset.
  const out: OutEntry[] = [{ name: MIMETYPE, source: Buffer.from(mime, "ascii"), stored: true }];
  for (const e of kept) {
    const o = cleaned.get(e);
    if (o != null && !gone.has(e)) out.push(o);
  }
  await writeZip(ctx.output, out);
  // The text check names parts in lower case.
  await checkSameFinalText(ctx.input, ctx.output, "opendocument", new Set([...gone].map((e) => e.name.toLowerCase())));
  return { hidden: hiddenOf({ ...counts, unusedParts: plan.unused.length }) };
}

/** What the cleaning of one entry needs to know of the package. */
interface PackageState {
  manifest: Document | null;
  /** Where the markup records what it names; null when it need not (nothing to name, or the markup is done). */
  uses: Uses | null;
  /** Whether an entry is left out for nothing naming it: the manifest must not list it. */
  dropped: (name: string) => boolean;
}

/**
 * The clean copy of one entry, or null for a metadata part recognised by its root element
 * (`office:document-meta`) when a damaged name (`mefa.xml`, `sub/meta.xml` spelt `sub/mete.xml`) hid it from `DROPPED`.
 */
async function cleanEntry(ctx: CleanContext, e: ZipEntry, counts: ReviewCounts, pkg: PackageState): Promise<OutEntry | null> {
  if (e.directory) return { name: e.name, source: "directory" };
  // An empty part (LibreOffice writes a 0-byte `Configurations2/accelerator/current.xml`) holds
  // nothing to remove, and is no XML to parse.
  if (e.size === 0) return { name: e.name, source: { file: e.file } };
  if (e.name === MANIFEST && pkg.manifest != null) {
    pruneManifest(pkg.manifest, pkg.dropped);
    return { name: e.name, source: await saveXmlPart(e, pkg.manifest) };
  }
  if (isXmlName(e.name)) {
    // Content parts can be large: they are cleaned as a stream.
    const file = `${e.file}.xml`;
    const rules = odfRules(reviewPolicy(ctx.keep), counts);
    const source = await rewritePart(e.file, file, e.name, pkg.uses == null ? rules : recordingReferences(rules, e.name, pkg.uses));
    return source == null ? null : { name: e.name, source: { file: source } };
  }
  if (AS_IS.test(e.name)) return { name: e.name, source: { file: e.file } };
  return { name: e.name, source: { file: await cleanEmbedded(ctx, e) } };
}

/**
 * The manifest, read before any other part: a document saved with a password lists how each of its
 * parts is encrypted there ([ODF 1.2] part 3, 4.8), and is refused as such, where reading its
 * encrypted content first would call it damaged.
 */
async function readManifest(entries: readonly ZipEntry[]): Promise<Document | null> {
  const e = entries.find((m): m is FileEntry => m.name === MANIFEST && !m.directory && m.size > 0);
  if (e == null) return null;
  const doc = await readXmlPart(e);
  if (doc.getElementsByTagNameNS(MANIFEST_NS, "encryption-data").length > 0) throw new BadFileError(ENCRYPTED, new Error("opendocument: encryption-data in the manifest"));
  return doc;
}

function oleObjectsOf(manifest: Document | null): Set<string> {
  const entries = manifest == null ? [] : Array.from(manifest.getElementsByTagNameNS(MANIFEST_NS, "file-entry"));
  return new Set(entries.filter((e) => e.getAttributeNS(MANIFEST_NS, "media-type") === OLE_OBJECT_TYPE).map((e) => e.getAttributeNS(MANIFEST_NS, "full-path") ?? ""));
}

/** The manifest must not list the parts that were dropped. */
function pruneManifest(doc: Document, dropped: (name: string) => boolean): void {
  removeComments(doc);
  for (const entry of Array.from(doc.getElementsByTagNameNS(MANIFEST_NS, "file-entry"))) {
    const p = entry.getAttributeNS(MANIFEST_NS, "full-path") ?? "";
    if (DROPPED.test(p) || dropped(p)) removeNode(entry);
  }
}
