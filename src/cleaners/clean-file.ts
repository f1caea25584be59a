import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import type { RawRead, RawTags } from "../metadata/read-task.js";
import { shapeMetadata, type TagValue } from "../metadata/shape.js";
import { BadFileError, TooComplexError, UnsupportedTypeError } from "./errors.js";
import { isDescriptive, isKept } from "./keep.js";
import { fileTypeOf } from "./file-type.js";
import { restoreRights } from "./rights.js";
import { INNER_LIMITS, type InnerBudget } from "./inner-budget.js";
import { type CopyProof, proofStandsIn, proveCopy, shapeProofFor } from "./proof/index.js";
import { cleanerFor } from "./registry.js";
import type { CleanOutcome, Cleaner, ExifToolAccess, FoundTag, KeepOption, NestedOutcome, UnknownMembers } from "./types.js";
import { makeDir } from "../make-dir.js";

export interface CleanRequest {
  exiftool: ExifToolAccess;
  /** The dirty file (a generated name). */
  input: string;
  /** Where the clean file goes. */
  output: string;
  /** A folder the cleaner may create sub-folders in; they are removed afterwards. */
  workDir: string;
  keep: ReadonlySet<KeepOption>;
  /** Archive members no cleaner handles; `refuse` when absent. */
  unknownMembers?: UnknownMembers;
  /**
   * Told when the cleaner says `output` is written for good (CleanContext.outputFinal), at the top
   * level only and never with `keep=copyright` (the rights are written back into it afterwards).
   */
  outputFinal?: () => void;
}

export interface CleanResult {
  cleaner: string;
  fileType: string;
  mimeType: string;
  /** Tags removed per lower-case family-0 group, and hidden content under its own keys. */
  removed: Record<string, number>;
  /** Tags still in the cleaned file that are not part of the format (only what `keep` asked for). */
  remaining: Record<string, Record<string, TagValue>>;
}

/** A cleaner's outcome, with what the checks of the copy's own structure found (proof/index.ts). */
export type CleanedCopy = CleanOutcome & { proof: CopyProof };

export interface Detected {
  fileType: string;
  cleaner: Cleaner;
}

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

/**
 * Detect: the cleaner for a file, by the type ExifTool read from its bytes (never its name); its
 * modules are loaded on the first file of its types (registry.ts).
 */
export async function detect(before: RawTags): Promise<Detected> {
  const fileType = fileTypeOf(before);
  if (fileType == null) throw new UnsupportedTypeError("unknown");
  const cleaner = await cleanerFor(fileType);
  if (cleaner == null) throw new UnsupportedTypeError(fileType);
  return { fileType, cleaner };
}

/**
 * Clean: runs the type's cleaner. Files nested inside (images in a DOCX, attachments of a PDF)
 * are detected, cleaned and verified in turn, within the request's inner-file budget.
 */
export async function clean(req: CleanRequest, detected: Detected, budget: InnerBudget = { files: 0, bytes: 0 }, depth = 0): Promise<CleanedCopy> {
  const workDir = path.join(req.workDir, `c${depth}-${crypto.randomUUID()}`);
  await makeDir(req.workDir);
  await fsp.mkdir(workDir);
  const nested: NestedOutcome[] = [];
  const unsupported = new Map<string, string>();
  const final = depth === 0 && !req.keep.has("copyright") ? req.outputFinal : undefined;
  try {
    const outcome = await detected.cleaner.clean({
      input: req.input,
      output: req.output,
      workDir,
      fileType: detected.fileType,
      keep: req.keep,
      unknownMembers: req.unknownMembers ?? "refuse",
      exiftool: req.exiftool,
      cleanNested: async (input, output, readWith) => {
        if (depth + 1 > INNER_LIMITS.maxDepth) throw new TooComplexError("files nested too deeply");
        budget.files += 1;
        budget.bytes += (await fsp.stat(input)).size;
        if (budget.files > INNER_LIMITS.maxFiles) throw new TooComplexError(`more than ${INNER_LIMITS.maxFiles} inner files`);
        if (budget.bytes > INNER_LIMITS.maxBytes) throw new TooComplexError(`inner files over ${INNER_LIMITS.maxBytes} bytes`);
        try {
          const { removed, remaining } = await cleanFile({ ...req, input, output, workDir }, budget, depth + 1, readWith?.fileType);
          nested.push({ removed, remaining });
          return { removed, remaining };
        } catch (err) {
          if (!(err instanceof UnsupportedTypeError)) throw err;
          unsupported.set(input, err.fileType === "unknown" ? "unknown type" : err.fileType);
          return null;
        }
      },
      unsupportedType: (input) => unsupported.get(input) ?? "unknown type",
      outputFinal: () => final?.(),
    });
    if (req.keep.has("copyright")) await restoreRights({ input: req.input, output: req.output, workDir, fileType: detected.fileType, exiftool: req.exiftool });
    // A cleaner that counts its inner files' removals itself (Office 97-2003 pictures) may also hand some to cleanNested.
    const summed = nested.length === 0 ? (outcome ?? {}) : { ...outcome, nested: sumNested(outcome?.nested == null ? nested : [outcome.nested, ...nested]) };
    const proof = await proveCopy(req.output, detected.fileType, req.keep, new Set([...req.keep, ...(summed.alsoKept ?? [])]));
    return { ...summed, proof };
  } finally {
    // In place: cleaners run in task processes (worker.ts), where each asynchronous call is a
    // round trip through libuv's thread pool, and removing a PDF's folder (qpdf's file per
    // stream, ~60 for a 24-page document) took ~180 of them.
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Detect, clean and verify one file (a nested file; or a whole one where no worker is used). A
 * nested file whose type the enclosing file's read already gave (`readWith`, see
 * `CleanContext.cleanNested`) is not read before cleaning: nothing is counted as removed twice.
 */
export async function cleanFile(req: CleanRequest, budget: InnerBudget = { files: 0, bytes: 0 }, depth = 0, readWith?: string): Promise<CleanResult> {
  // Imported here: a task process that cleans a file with nothing nested in it never needs them.
  const [{ screenHere }, { readBeforeCleaning }, { refuseLocked }] = await Promise.all([import("./screen.js"), import("../metadata/read-for-cleaning.js"), import("./pdf/locked.js")]);
  // As in the service's pipeline: an XML file too complex for ExifTool is refused before it reads
  // it, a locked PDF before it tries, and it reads a PDF it would misread through a view.
  const view = `${req.input}.view`;
  let before: RawTags = {};
  try {
    const screened = await screenHere(req.input, readWith == null ? view : undefined);
    refuseLocked(screened);
    if (readWith == null) before = (await readBeforeCleaning(req.exiftool, screened.viewed ? view : req.input, undefined, screened.decrypted)).tags;
  } finally {
    await fsp.rm(view, { force: true });
  }
  const detected = await detect(readWith == null ? before : { "File:FileType": readWith });
  const outcome = await clean(req, detected, budget, depth);
  return verify(req.exiftool, detected, before, req.output, req.keep, outcome);
}

/**
 * Verify: an independent ExifTool re-read of the cleaned file: what it may miss, the client would
 * receive. Refused unless all that is left is what the format needs and what `keep` asked for.
 *
 * Where the cleaner rebuilds the file from an allow-list (JPEG, PNG), a structural proof walked the
 * output too, where it was cleaned (`outcome.proof`, see proof/index.ts): every part must be on
 * the list, at a length its own fields account for, and nothing may follow the end of the picture. It catches what ExifTool has no name for (an
 * unknown APPn or private chunk a cleaner let through), and it shows that no embedded document
 * (an MPF preview, a trailer) can be there, so that file's re-read skips `-ee`, which walks a
 * JPEG whole. Every other type is re-read with `-ee`, whatever it holds.
 *
 * When the proof holds and nothing was kept, the re-read is skipped (but for a DDS or an EMF: see
 * `proofStandsIn`): every byte of the file
 * outside the compressed image data is then a coding part whose fields the proof accounted for,
 * or the fixed Adobe colour transform, so ExifTool could report only the file's own structure
 * (dimensions, coding, its type), which `isStructural` and `isDescriptive` leave out anyway: the
 * answer (`removed`, an empty `remaining`, the type's MIME type, unchanged) is the one the re-read
 * would give. Where something was kept (an ICC profile, an orientation) the re-read stays, as
 * the second judge of what the kept parts hold and the source of their `remaining` values.
 *
 * MP4/MOV have no allow-list proof that could refuse, but a shape check (proof/iso-proof.ts):
 * when nothing was kept and the copy is made only of boxes whose every tag is structural (what
 * the box rewrite writes for picture and sound tracks other than H.264, whose SEI ExifTool's
 * `-ee` parses), the re-read is skipped for the same reason; any other shape is re-read. So it is
 * for HEIC/HEIF/AVIF (proof/heif-proof.ts): pictures, their coding properties and the emptied
 * Exif/XMP item entries ExifTool's `-all=` leaves, nothing else.
 *
 * `rereadStarted`: the same re-read, begun by `startReread` as soon as the output was final.
 */
export async function verify(
  exiftool: ExifToolAccess,
  detected: Detected,
  before: RawTags,
  output: string,
  keep: ReadonlySet<KeepOption>,
  outcome: CleanedCopy,
  rereadStarted?: Promise<RawRead> | null,
): Promise<CleanResult> {
  const { cleaner, fileType } = detected;
  const allowed = new Set([...keep, ...(outcome.alsoKept ?? [])]);
  // MP4/MOV, HEIF: a clean shape stands in for the re-read (proof/iso-proof.ts, heif-proof.ts); any other shape is re-read.
  const { failure, shapeHolds } = outcome.proof;
  const standsIn = proofStandsIn(fileType, keep);
  const reread = (!standsIn && !shapeHolds) || allowed.size > 0 ? (rereadStarted ?? exiftool.read(output, { embedded: !standsIn })) : null;
  const read = await reread;
  const after = read?.tags ?? {};
  // A damaged input can lose tracks or structure in the rewrite (a truncated MP4 coming back as
  // audio only): that is not a clean copy of the same file, so the client gets a 422, never it.
  const expectedType = outcome.fileType ?? fileType;
  const afterType = read == null ? expectedType : fileTypeOf(after);
  if (afterType !== expectedType) {
    throw new BadFileError(CHANGED, new Error(`cleaner ${cleaner.name} turned a ${fileType} into ${String(afterType)}, not ${expectedType}`));
  }
  const error = after["ExifTool:Error"];
  if (typeof error === "string" && !(outcome.readByCleanerOnly === true && error === before["ExifTool:Error"])) {
    throw new BadFileError(CHANGED, new Error(`cleaner ${cleaner.name} wrote a ${fileType} ExifTool cannot read: ${error}`));
  }
  if (failure != null) {
    throw new BadFileError("The file's metadata could not be removed completely.", new Error(`${cleaner.name} left a part off the allow-list: ${failure}`));
  }
  const structural = (t: FoundTag): boolean => cleaner.isStructural(t) || outcome.pictureFields?.includes(`${t.group}:${t.tag}`) === true;
  const leftovers = found(after).filter((t) => !structural(t));
  const notAsked = leftovers.filter((t) => !isKept(t, allowed) && cleaner.isRetained?.(t) !== true);
  if (notAsked.length > 0) {
    const names = notAsked.map((t) => `${t.group}:${t.tag}`).join(", ");
    throw new BadFileError("The file's metadata could not be removed completely.", new Error(`${cleaner.name} left ${names}`));
  }
  const remainingKeys = new Set(leftovers.map((t) => `${t.group}:${t.tag}`));
  const removed: Record<string, number> = {};
  for (const t of found(before)) {
    if (structural(t) || remainingKeys.has(`${t.group}:${t.tag}`)) continue;
    const g = t.group.toLowerCase();
    removed[g] = (removed[g] ?? 0) + 1;
  }
  for (const counts of [outcome.hidden ?? {}, outcome.nested?.removed ?? {}]) {
    for (const [key, count] of Object.entries(counts)) if (count > 0) removed[key] = (removed[key] ?? 0) + count;
  }
  const remainingRaw = Object.fromEntries(leftovers.map((t) => [`${t.group}:${t.tag}`, t.value]));
  const { metadata } = shapeMetadata({ raw: remainingRaw, messages: [], clientName: "", size: 0, numeric: false, replacements: [] });
  delete metadata["File"];
  for (const groups of [outcome.remaining ?? {}, outcome.nested?.remaining ?? {}]) {
    for (const [group, values] of Object.entries(groups)) metadata[group] = { ...metadata[group], ...values };
  }
  const mimeTag = (read == null ? before : after)["File:MIMEType"];
  const mime = typeof mimeTag === "string" ? mimeTag : "application/octet-stream";
  return { cleaner: cleaner.name, fileType, mimeType: mime, removed, remaining: metadata };
}

/**
 * The re-read `verify` makes of a cleaned `output` of this type, started early (once the cleaner
 * said its output is final, while its own checks of the copy still run), where verify re-reads
 * every copy of the type whatever the outcome: no structural or shape proof stands in for it.
 * Null where one may. Handed to `verify` as `rereadStarted`; the caller waits for it before the
 * file goes.
 */
export function startReread(exiftool: ExifToolAccess, fileType: string, keep: ReadonlySet<KeepOption>, output: string): Promise<RawRead> | null {
  if (proofStandsIn(fileType, keep) || shapeProofFor(fileType, new Set()) != null) return null;
  return exiftool.read(output, { embedded: true });
}

/**
 * The outcomes of the files nested in one file, as one: what they had removed is added up (an
 * attached photo's EXIF tags count under `exif` with the document's own), and what they still
 * hold because `keep` asked for it is listed, so that `remaining` is empty only when every level
 * is clean.
 */
function sumNested(outcomes: readonly NestedOutcome[]): NestedOutcome {
  const removed: Record<string, number> = {};
  const remaining: Record<string, Record<string, TagValue>> = {};
  for (const o of outcomes) {
    for (const [key, count] of Object.entries(o.removed)) removed[key] = (removed[key] ?? 0) + count;
    for (const [group, values] of Object.entries(o.remaining)) remaining[group] = { ...remaining[group], ...values };
  }
  return { removed, remaining };
}

function found(tags: RawTags): FoundTag[] {
  return Object.entries(tags).flatMap(([key, value]) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [];
    const group = key.slice(0, colon);
    const tag = key.slice(colon + 1);
    return isDescriptive(group, tag) ? [] : [{ group, tag, value }];
  });
}
