import fsp from "node:fs/promises";
import path from "node:path";
import type { CleanContext, FoundTag } from "./types.js";

/**
 * Rights-management information that `keep=copyright` keeps (the contract's list, after EU
 * Directive 2001/29/EC art. 7), by ExifTool family-0 group: EXIF Copyright and Artist; IPTC
 * CopyrightNotice, By-line, Credit, Source; XMP dc:rights, dc:creator, xmpRights:*,
 * plus:Licensor, plus:CopyrightOwner, photoshop:Credit; a PDF's, an RTF's and a Targa picture's
 * Author (its cleaner keeps it); office core creator and rights; audio and video copyright tags (ID3 TCOP, QuickTime cprt, Vorbis/Matroska COPYRIGHT).
 */
const RIGHTS: Readonly<Record<string, RegExp>> = {
  EXIF: /^(Copyright|Artist)$/,
  IPTC: /^(CopyrightNotice|By-line|Credit|Source)$/,
  XMP: /^(Rights|Creator|Marked|WebStatement|UsageTerms|Owner|Certificate|Licensor\w*|CopyrightOwner\w*|Credit)$/,
  PDF: /^Author$/,
  RTF: /^Author$/,
  TGA: /^Author$/,
  XML: /^(Creator|Rights)$/,
  ID3: /^Copyright$/,
  QuickTime: /^Copyright$/,
  Vorbis: /^Copyright$/,
  Matroska: /^Copyright$/,
  RIFF: /^Copyright$/,
  APE: /^Copyright$/,
};

export function isRightsTag(t: Pick<FoundTag, "group" | "tag">): boolean {
  return RIGHTS[t.group]?.test(t.tag) === true;
}

/** The same fields as ExifTool copy arguments (`-tagsFromFile SRC ARGS`). */
const COPY_ARGS = [
  "-EXIF:Copyright",
  "-EXIF:Artist",
  "-IPTC:CopyrightNotice",
  "-IPTC:By-line",
  "-IPTC:Credit",
  "-IPTC:Source",
  "-XMP-dc:Rights",
  "-XMP-dc:Creator",
  "-XMP-xmpRights:all",
  "-XMP-plus:Licensor*",
  "-XMP-plus:CopyrightOwner*",
  "-XMP-photoshop:Credit",
  "-PDF:Author",
  "-QuickTime:Copyright",
];

/**
 * File types whose rights fields ExifTool writes back: there the cleaner strips everything and
 * this step copies the rights fields from the original into the clean copy. Audio and video
 * formats ExifTool cannot write get their copyright notice written by hand (rights-audio.ts).
 */
const WRITTEN_BACK = /^(JPEG|PNG|TIFF|(Extended )?WEBP( \(lossless\))?|HEIC|HEIF|AVIF|PDF|MP4|MOV|M4A|M4V|3GP|3G2)$/;

/**
 * Puts the original's rights fields back into the cleaned file (`keep=copyright`). ExifTool adds
 * what it considers mandatory when it creates a directory (EXIF resolution tags, IPTC's record
 * version, XMP's toolkit name): a second pass removes every tag that the copy brought and that is
 * not a rights field, so the result holds exactly what was asked for.
 */
export async function restoreRights(ctx: Pick<CleanContext, "input" | "output" | "workDir" | "fileType" | "exiftool">): Promise<void> {
  if (WRITTEN_BACK.test(ctx.fileType)) return copyRightsBack(ctx);
  const original = (await ctx.exiftool.read(ctx.input)).tags;
  if (!Object.keys(original).some((key) => isRightsTag(split(key)))) return;
  await restoreOfficeRights(ctx, original);
  await restoreAudioCopyright(ctx, original);
}

/**
 * ExifTool copies the original's rights fields into `output` (changed in place), then removes
 * what the copy brought besides them. Also used by cleaners that must check the file after it
 * (a camera raw's data hash).
 */
export async function copyRightsBack(ctx: Pick<CleanContext, "input" | "output" | "workDir" | "exiftool">): Promise<void> {
  const original = (await ctx.exiftool.read(ctx.input)).tags;
  if (!Object.keys(original).some((key) => isRightsTag(split(key)))) return;
  const cleanTags = new Set(Object.keys((await ctx.exiftool.read(ctx.output)).tags));
  const copied = path.join(ctx.workDir, "rights-copied");
  const trimmed = path.join(ctx.workDir, "rights-trimmed");
  try {
    const errors = await ctx.exiftool.write(ctx.output, copied, ["-tagsFromFile", ctx.input, ...COPY_ARGS]);
    if (errors.length > 0) throw new Error(`ExifTool could not copy the rights fields: ${errors.join("; ")}`);
    const added = Object.keys((await ctx.exiftool.read(copied)).tags).filter((key) => !cleanTags.has(key) && !isDerived(key) && !isRightsTag(split(key)));
    let result = copied;
    if (added.length > 0) {
      const trimErrors = await ctx.exiftool.write(copied, trimmed, added.map((key) => `-${key}=`));
      if (trimErrors.length > 0) throw new Error(`ExifTool could not trim the copy: ${trimErrors.join("; ")}`);
      result = trimmed;
    }
    await fsp.rename(result, ctx.output);
  } finally {
    await fsp.rm(copied, { force: true });
    await fsp.rm(trimmed, { force: true });
  }
}

/** Office documents: the core properties' creator and rights (ExifTool reads them as `XMP:` tags). */
async function restoreOfficeRights(ctx: Pick<CleanContext, "output" | "workDir" | "fileType">, original: Readonly<Record<string, unknown>>): Promise<void> {
  const text = (key: string): string | undefined => {
    const v = original[key];
    return typeof v === "string" && v !== "" ? v : Array.isArray(v) ? v.join("; ") : undefined;
  };
  const creator = text("XMP:Creator");
  const rights = text("XMP:Rights");
  const written = path.join(ctx.workDir, "rights-office");
  const unpacked = path.join(ctx.workDir, "rights-office-parts");
  try {
    await fsp.mkdir(unpacked);
    const kept = { ...(creator != null ? { creator } : {}), ...(rights != null ? { rights } : {}) };
    // Imported here: every task process that cleans loads this module (keep.ts asks isRightsTag),
    // few ever write a document's rights back (bench/results-notes.md, "Cold worker threads").
    const { writeOfficeRights } = await import("./rights-office.js");
    if (await writeOfficeRights(ctx.fileType, ctx.output, written, unpacked, kept)) await fsp.rename(written, ctx.output);
  } finally {
    await fsp.rm(written, { force: true });
    await fsp.rm(unpacked, { recursive: true, force: true });
  }
}

const AUDIO_GROUPS = new Set(["ID3", "Vorbis", "RIFF", "Matroska", "APE", "QuickTime"]);

/** Audio and video formats ExifTool cannot write: the one copyright notice, written by hand. */
async function restoreAudioCopyright(ctx: Pick<CleanContext, "output" | "workDir" | "fileType">, original: Readonly<Record<string, unknown>>): Promise<void> {
  const notice = Object.entries(original).find(([key, value]) => AUDIO_GROUPS.has(split(key).group) && isRightsTag(split(key)) && typeof value === "string" && value !== "")?.[1];
  if (typeof notice !== "string") return;
  const written = path.join(ctx.workDir, "rights-written");
  try {
    const { writeAudioCopyright } = await import("./rights-audio.js");
    if (await writeAudioCopyright(ctx.fileType, ctx.output, written, notice)) await fsp.rename(written, ctx.output);
  } finally {
    await fsp.rm(written, { force: true });
  }
}

function split(key: string): { group: string; tag: string } {
  const colon = key.indexOf(":");
  return { group: key.slice(0, colon), tag: key.slice(colon + 1) };
}

/** Tags that describe the file rather than sit in it (size, dates, composites): never written, never removed. */
function isDerived(key: string): boolean {
  return /^(File|Composite|ExifTool|System|SourceFile)(:|$)/.test(key);
}
