import fsp from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import { BadFileError, TooComplexError, UnsupportedTypeError } from "./errors.js";
import { type RawTags, readAll } from "../metadata/read-task.js";
import { shapeMetadata, type TagValue } from "../metadata/shape.js";
import { isDescriptive, isKept } from "./keep.js";
import { cleanerFor } from "./registry.js";
import type { CleanOutcome, Cleaner, ExifToolAccess, FoundTag, KeepOption, UnknownMembers } from "./types.js";

export interface CleanRequest {
  exiftool: ExifToolAccess;
  /** The dirty file (a generated name). */
  input: string;
  /** Where the clean file goes. */
  output: string;
  /** A folder the pipeline may create sub-folders in; they are removed afterwards. */
  workDir: string;
  keep: ReadonlySet<KeepOption>;
  /** Archive members no cleaner handles; `refuse` when absent. */
  unknownMembers?: UnknownMembers;
  /** The input's tags when the caller has read them already. */
  before?: RawTags;
}

export interface CleanResult {
  cleaner: string;
  fileType: string;
  mimeType: string;
  /** Tags removed, per lower-case family-0 group. */
  removed: Record<string, number>;
  /** Tags still in the cleaned file that are not part of the format (only what `keep` asked for). */
  remaining: Record<string, Record<string, TagValue>>;
}

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

/** Nested files (images inside a DOCX inside...) are cleaned at most this deep. */
const MAX_DEPTH = 3;

/**
 * Detect -> clean -> verify for one file. The type comes from the bytes (ExifTool reads a file
 * without extension by its magic number); the result is re-read and refused unless all that is
 * left is what the format needs and what `keep` asked for.
 */
export async function cleanFile(req: CleanRequest, depth = 0): Promise<CleanResult> {
  const before = req.before ?? (await readAll(req.exiftool, req.input, false)).tags;
  const fileType = typeof before["File:FileType"] === "string" ? before["File:FileType"] : null;
  if (fileType == null) throw new UnsupportedTypeError("unknown");
  const cleaner = cleanerFor(fileType);
  if (cleaner == null) throw new UnsupportedTypeError(fileType);

  const workDir = path.join(req.workDir, `c${depth}-${crypto.randomUUID()}`);
  await fsp.mkdir(workDir, { recursive: true });
  let outcome: CleanOutcome | void;
  const unknownMembers = req.unknownMembers ?? "refuse";
  try {
    outcome = await cleaner.clean({
      input: req.input,
      output: req.output,
      workDir,
      fileType,
      keep: req.keep,
      unknownMembers,
      exiftool: req.exiftool,
      cleanNested: async (input, output) => {
        if (depth + 1 > MAX_DEPTH) throw new TooComplexError("files nested too deeply");
        try {
          await cleanFile({ exiftool: req.exiftool, input, output, workDir, keep: req.keep, unknownMembers }, depth + 1);
          return true;
        } catch (err) {
          if (err instanceof UnsupportedTypeError) return false;
          throw err;
        }
      },
    });
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }

  // The check reads embedded documents whatever the type (MPF previews after a JPEG, say): what
  // it may miss, the client would receive.
  const { tags: after } = await req.exiftool.read(req.output, { embedded: true });
  const result = verify(cleaner, fileType, before, after, new Set([...req.keep, ...(outcome?.alsoKept ?? [])]));
  for (const [key, count] of Object.entries(outcome?.hidden ?? {})) {
    if (count > 0) result.removed[key] = (result.removed[key] ?? 0) + count;
  }
  for (const [group, values] of Object.entries(outcome?.remaining ?? {})) {
    result.remaining[group] = { ...result.remaining[group], ...values };
  }
  return result;
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

function verify(cleaner: Cleaner, fileType: string, before: RawTags, after: RawTags, keep: ReadonlySet<KeepOption>): CleanResult {
  // A damaged input can lose tracks or structure in the rewrite (a truncated MP4 coming back as
  // audio only): that is not a clean copy of the same file, so the client gets a 422, never it.
  const afterType = after["File:FileType"];
  if (afterType !== fileType) {
    throw new BadFileError(CHANGED, new Error(`cleaner ${cleaner.name} turned a ${fileType} into ${String(afterType)}`));
  }
  if (typeof after["ExifTool:Error"] === "string") {
    throw new BadFileError(CHANGED, new Error(`cleaner ${cleaner.name} wrote a ${fileType} ExifTool cannot read: ${after["ExifTool:Error"]}`));
  }
  const leftovers = found(after).filter((t) => !cleaner.isStructural(t));
  const notAsked = leftovers.filter((t) => !isKept(t, keep));
  if (notAsked.length > 0) {
    const names = notAsked.map((t) => `${t.group}:${t.tag}`).join(", ");
    throw new BadFileError("The file's metadata could not be removed completely.", new Error(`${cleaner.name} left ${names}`));
  }
  const remainingKeys = new Set(leftovers.map((t) => `${t.group}:${t.tag}`));
  const removed: Record<string, number> = {};
  for (const t of found(before)) {
    if (cleaner.isStructural(t) || remainingKeys.has(`${t.group}:${t.tag}`)) continue;
    const g = t.group.toLowerCase();
    removed[g] = (removed[g] ?? 0) + 1;
  }
  const remainingRaw = Object.fromEntries(leftovers.map((t) => [`${t.group}:${t.tag}`, t.value]));
  const { metadata } = shapeMetadata({ raw: remainingRaw, messages: [], clientName: "", size: 0, numeric: false, replacements: [] });
  delete metadata["File"];
  const mime = typeof after["File:MIMEType"] === "string" ? after["File:MIMEType"] : "application/octet-stream";
  return { cleaner: cleaner.name, fileType, mimeType: mime, removed, remaining: metadata };
}
