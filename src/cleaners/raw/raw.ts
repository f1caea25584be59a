import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import { IIQ } from "../file-type.js";
import { isDescriptive, isKept } from "../keep.js";
import { copyRightsBack } from "../rights.js";
import type { CleanContext, Cleaner, FoundTag, KeepOption } from "../types.js";
import type { RawTags } from "../../metadata/read-task.js";
import { zeroPersonalResidue } from "./residue.js";
import { isBlank, isDate, isDecoderTag, isPersonal, isRetainedTag, isWhen } from "./tags.js";

/**
 * What goes in the first rewrite: whole blocks that are nothing but metadata, and fields every
 * raw family names the same way. ExifTool deletes these without touching the raw data; the maker
 * notes stay, since decoders read white balance, sensor and lens data from them.
 */
const FIRST_PASS = [
  "-XMP:all=", "-IPTC:all=", "-Photoshop:all=", "-GPS:all=", "-PrintIM:all=",
  "-*Serial*=", "-*Owner*=", "-*UniqueID*=", "-*Date*=", "-SubSecTime*=", "-OffsetTime*=", "-XP*=",
  "-Artist=", "-Copyright=", "-ImageDescription=", "-UserComment=", "-DocumentName=", "-HostComputer=", "-Software=",
  "-OriginalRawFileName=", "-OriginalRawFileData=", "-OriginalRawFileDigest=",
];

/** A date ExifTool accepts where it cannot delete one (QuickTime headers, fixed maker-note fields). */
const NO_DATE = "0000:00:00 00:00:00";

const SAFE_NAME = /^[A-Za-z0-9_-]+$/;

const CHANGED = "The camera raw file could not be cleaned without changing its raw picture data.";

const RESIDUE = "The camera raw file could not be cleaned: a personal value is part of a field its picture needs.";

/**
 * Camera raw photos, rewritten by ExifTool itself: it knows each maker's layout (where Canon
 * keeps its CR2 header, Nikon its encrypted white balance, Fujifilm its RAF directory) and
 * moves the raw data without re-encoding it. What a decoder needs stays (see tags.ts); personal
 * fields go: XMP, IPTC, GPS, owner, artist, copyright, serial numbers, unique ids, dates, and
 * any maker-note field named like those. A field ExifTool cannot delete from a maker note (it
 * sits at a fixed place) is overwritten with zeros. The raw data's hash, as ExifTool computes it,
 * must be the same before and after, or the file is refused.
 */
export const rawCleaner: Cleaner = {
  name: "raw",
  fileTypes: ["DNG", "CR2", "CR3", "NEF", "NRW", "ARW", "SR2", "SRF", "RAF", "RW2", "RWL", "ORF", "ORI", "PEF", "MRW", "CRW", IIQ],
  async clean(ctx: CleanContext): Promise<void> {
    const before = await ctx.exiftool.read(ctx.input, { imageHash: true });
    const hash = before.tags["File:ImageDataHash"];
    if (typeof hash !== "string") throw new BadFileError(`The ${ctx.fileType} file's raw picture data could not be found.`);

    const icc = ctx.keep.has("colorProfile") ? [] : ["-ICC_Profile:all="];
    let current = await rewrite(ctx, ctx.input, "pass1", [...FIRST_PASS, ...icc]);
    // Whatever the first pass left that verification would refuse: deleted by its own name, then,
    // where ExifTool keeps the field (fixed maker-note slots), overwritten with zeros.
    for (const overwrite of [false, true]) {
      const left = leftovers((await ctx.exiftool.read(current)).tags, ctx.keep);
      if (left.length === 0) break;
      current = await rewrite(ctx, current, overwrite ? "zeroed" : "deleted", left.map((t) => (overwrite ? zeroed(t) : `-${t.group}:${t.tag}=`)));
    }

    // keep=copyright: the rights fields go with the rest, then come back from the original, so
    // that the hash below also proves the copy left the raw data alone.
    if (ctx.keep.has("copyright")) await copyRightsBack({ ...ctx, output: current });

    let after = await ctx.exiftool.read(current, { imageHash: true });
    if ((await zeroPersonalResidue(current, before.tags, after.tags)) > 0) {
      // Only bytes no field reads may have changed: the copy must read exactly as before.
      const scrubbed = await ctx.exiftool.read(current, { imageHash: true });
      const moved = Object.keys({ ...after.tags, ...scrubbed.tags }).filter((k) => !isFileDetail(k) && JSON.stringify(after.tags[k]) !== JSON.stringify(scrubbed.tags[k]));
      if (moved.length > 0) throw new BadFileError(RESIDUE, new Error(`zeroing personal values changed ${moved.join(", ")}`));
      after = scrubbed;
    }
    if (after.tags["File:ImageDataHash"] !== hash) {
      throw new BadFileError(CHANGED, new Error(`ImageDataHash ${String(hash)} became ${String(after.tags["File:ImageDataHash"])}`));
    }
    if (ctx.fileType === IIQ) {
      const changed = changedNotes(before.tags, after.tags);
      if (changed.length > 0) throw new BadFileError(CHANGED, new Error(`IIQ maker notes changed: ${changed.join(", ")}`));
    }
    await fsp.copyFile(current, ctx.output);
  },
  isStructural: isDecoderTag,
  isRetained: isRetainedTag,
};

async function rewrite(ctx: CleanContext, input: string, name: string, args: readonly string[]): Promise<string> {
  const output = path.join(ctx.workDir, name);
  const errors = await ctx.exiftool.write(input, output, args);
  if (errors.length > 0) {
    throw new BadFileError(`The ${ctx.fileType} camera raw file could not be rewritten; it may be damaged.`, new Error(errors.join("; ")));
  }
  return output;
}

/**
 * Tags verification would refuse (neither needed by decoders, nor harmless, nor asked for), and
 * times, which go wherever ExifTool can remove them.
 */
function leftovers(tags: RawTags, keep: ReadonlySet<KeepOption>): FoundTag[] {
  return Object.entries(tags).flatMap(([key, value]) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [];
    const t = { group: key.slice(0, colon), tag: key.slice(colon + 1), value };
    // Names go back to ExifTool as arguments, where `<` or `=` would change their meaning (a
    // copy from another tag or file): any other name is left to verification, which refuses it.
    if (!SAFE_NAME.test(t.group) || !SAFE_NAME.test(t.tag)) return [];
    if (isDescriptive(t.group, t.tag) || isDecoderTag(t) || isKept(t, keep)) return [];
    if (isRetainedTag(t) && !(isWhen(t) && !isBlank(t.value))) return [];
    return [t];
  });
}

/**
 * A Phase One IIQ keeps the raw data's companions (sensor calibration with its defect map and
 * flat field, black level data, strip offsets, colour matrices) inside its maker notes, next to
 * the owner's details, where the raw data hash does not reach: every maker-note field the cleaner
 * has no reason to touch must read the same after the rewrite (binary ones by their length).
 */
function changedNotes(before: RawTags, after: RawTags): string[] {
  return Object.keys(before).filter((key) => {
    if (!key.startsWith("MakerNotes:")) return false;
    const t = { group: "MakerNotes", tag: key.slice("MakerNotes:".length), value: before[key] };
    return !isPersonal(t) && !isWhen(t) && JSON.stringify(before[key]) !== JSON.stringify(after[key]);
  });
}

/** The file's own details (name, size, dates on disk), which the read reports beside its content; the picture's hash is content. */
function isFileDetail(key: string): boolean {
  return key === "SourceFile" || (key.startsWith("File:") && key !== "File:ImageDataHash");
}

/** `#=` writes the number itself: a zero has no printed form in many maker-note lists. */
function zeroed(t: FoundTag): string {
  return isDate(t) ? `-${t.group}:${t.tag}=${NO_DATE}` : `-${t.group}:${t.tag}#=0`;
}
