import type { Document } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { cleanEmbedded } from "./embedded.js";
import { checkSameFinalText } from "./final-text.js";
import { planCommentDrops } from "./ooxml-comments.js";
import { bareLinkedFiles, isRelsName, mainPart, planDrops, pruneContentTypes, pruneRels, removedRelIds, type Dropped } from "./ooxml-package.js";
import { ooxmlRules } from "./ooxml-rules.js";
import { hiddenOf } from "../hidden-counts.js";
import { newReviewCounts, reviewPolicy, type ReviewCounts, type ReviewPolicy } from "./review.js";
import { readXmlPart, saveXmlPart } from "./part-io.js";
import { rewritePart } from "./xml-stream.js";
import { zipStructural } from "./structural.js";
import { cleanBinaryPart, isCompoundFile } from "./xlsb-part.js";
import { extractDocument, isXmlName, XLSB_RECORD_PART, type FileEntry, type ZipEntry } from "./zip-read.js";
import { writeZip, type OutEntry } from "./zip-write.js";

const CONTENT_TYPES = "[Content_Types].xml";

/**
 * Parts copied as they are: embedded fonts (their name tables describe the font, not the
 * document's author) and VML drawings (no metadata fields, and Excel writes VML that is not
 * well-formed XML, so it cannot go through the XML scrubber).
 */
const AS_IS = /\.(odttf|ttf|otf|fntdata|eot|woff2?|vml)$/i;

/**
 * Office Open XML (Word, Excel, PowerPoint, and their templates), and Excel's binary workbook
 * (XLSB: the same package, its workbook, sheets and notes as records). Macro-enabled variants are
 * not listed: their VBA project is a compound file no cleaner handles (an XLSB holding one is
 * refused for it as an embedded file).
 */
export const ooxmlCleaner: Cleaner = {
  name: "ooxml",
  fileTypes: ["DOCX", "DOTX", "XLSX", "XLTX", "XLSB", "PPTX", "POTX", "PPSX"],
  clean: cleanOoxml,
  isStructural: zipStructural(CONTENT_TYPES),
};

/** What cleaning one package needs to know besides the entry at hand. */
interface Plan {
  rels: ReadonlyMap<string, Document>;
  /** The content types part, read once (null when empty). */
  contentTypes: Document | null;
  dropped: Dropped;
  /** Ids of removed relationships, by lower-case source part. */
  removedIds: ReadonlyMap<string, ReadonlySet<string>>;
  policy: ReviewPolicy;
  counts: ReviewCounts;
}

async function cleanOoxml(ctx: CleanContext): Promise<CleanOutcome> {
  const entries = await extractDocument(ctx.input, ctx.workDir);
  const contentTypes = entries.find((e): e is FileEntry => e.name === CONTENT_TYPES && !e.directory);
  if (contentTypes == null) throw new BadFileError("The document has no content types part.");
  const rels = new Map<string, Document>();
  for (const e of entries) if (!e.directory && e.size > 0 && isRelsName(e.name)) rels.set(e.name, await readXmlPart(e));
  const policy = reviewPolicy(ctx.keep);
  const counts = newReviewCounts();
  const files = new Map(entries.filter((e): e is FileEntry => !e.directory).map((e) => [e.name.toLowerCase(), e]));
  const types = contentTypes.size > 0 ? await readXmlPart(contentTypes) : null;
  const comments = policy.dropComments ? await planCommentDrops(files, rels, types) : { parts: [], count: 0 };
  counts.comments += comments.count;
  const { dropped, unreached, unused } = planDrops(
    entries.map((e) => e.name),
    rels,
    comments.parts,
  );
  if (!files.has(mainPart(rels) ?? "")) throw new BadFileError("The document's package does not lead to its main part.");
  const plan: Plan = { rels, contentTypes: types, dropped, removedIds: removedRelIds(rels, dropped), policy, counts };
  const out: OutEntry[] = [];
  for (const e of entries) {
    if (dropped.has(e.name.toLowerCase())) continue;
    const cleaned = await cleanEntry(ctx, e, plan);
    if (cleaned != null) out.push(cleaned);
  }
  // The content types part first, where Office writes it and ExifTool looks.
  out.sort((a, b) => Number(b.name === CONTENT_TYPES) - Number(a.name === CONTENT_TYPES));
  await writeZip(ctx.output, out);
  await checkSameFinalText(ctx.input, ctx.output, "ooxml", unreached);
  return { hidden: hiddenOf({ ...counts, unusedParts: unused.size }) };
}

/** The clean copy of one entry, or null for a metadata part that only its content gives away. */
async function cleanEntry(ctx: CleanContext, e: ZipEntry, plan: Plan): Promise<OutEntry | null> {
  if (e.directory) return { name: e.name, source: "directory" };
  // An empty part holds nothing to remove, and is no XML to parse.
  if (e.size === 0) return { name: e.name, source: { file: e.file } };
  const relsDoc = plan.rels.get(e.name);
  if (relsDoc != null) {
    pruneRels(e.name, relsDoc, plan.dropped);
    bareLinkedFiles(e.name, relsDoc);
    return { name: e.name, source: await saveXmlPart(e, relsDoc) };
  }
  if (e.name === CONTENT_TYPES && plan.contentTypes != null) {
    pruneContentTypes(plan.contentTypes, plan.dropped);
    return { name: e.name, source: await saveXmlPart(e, plan.contentTypes) };
  }
  if (isXmlName(e.name)) {
    // Content parts can be large (a spreadsheet's sheets): they are cleaned as a stream.
    const file = `${e.file}.xml`;
    const rules = ooxmlRules({ policy: plan.policy, counts: plan.counts, removedIds: plan.removedIds.get(e.name.toLowerCase()) ?? new Set() });
    const source = await rewritePart(e.file, file, e.name, rules);
    return source == null ? null : { name: e.name, source: { file: source } };
  }
  if (AS_IS.test(e.name)) return { name: e.name, source: { file: e.file } };
  if (ctx.fileType === "XLSB" && XLSB_RECORD_PART.test(e.name) && !(await isCompoundFile(e))) {
    const removedIds = plan.removedIds.get(e.name.toLowerCase()) ?? new Set<string>();
    return { name: e.name, source: { file: await cleanBinaryPart(e, { name: e.name, keepComments: !plan.policy.dropComments, removedIds }) } };
  }
  return { name: e.name, source: { file: await cleanEmbedded(ctx, e) } };
}
