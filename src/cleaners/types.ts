import type { RawRead } from "../metadata/read-task.js";
import type { Finding } from "../metadata/findings/types.js";
import type { PdfAttachedFile } from "../metadata/findings/inner-pdf.js";
import type { MetadataGroups } from "../metadata/shape.js";

/** What a client may ask to keep (`keep=orientation,colorProfile`); see the contract's `keep`. */
export type KeepOption = "orientation" | "colorProfile" | "copyright" | "comments" | "trackedChanges";
export const KEEP_OPTIONS: readonly KeepOption[] = ["orientation", "colorProfile", "copyright", "comments", "trackedChanges"];

/**
 * Archive members no cleaner handles (contract, "Archives"): `refuse` the archive, `omit` them
 * (counted under `removed.members`) or `keep` them unchanged (listed in `remaining`).
 */
export type UnknownMembers = "refuse" | "omit" | "keep";
export const UNKNOWN_MEMBERS: readonly UnknownMembers[] = ["refuse", "omit", "keep"];

export interface CleanContext {
  /** The dirty file: a generated temp name without extension. Never a client's name. */
  input: string;
  /** Where the cleaner writes the clean file (does not exist yet). */
  output: string;
  /** A private folder for intermediate files, removed by the caller afterwards. */
  workDir: string;
  /** ExifTool's FileType for the input, detected from its bytes (e.g. "JPEG", "MP4", "DOCX"). */
  fileType: string;
  keep: ReadonlySet<KeepOption>;
  /** What an archive cleaner does with members no cleaner handles. */
  unknownMembers: UnknownMembers;
  /** The service's shared `-stay_open` pool: cleaners never spawn ExifTool themselves. */
  exiftool: ExifToolAccess;
  /**
   * Cleans and verifies a file nested inside this one (an image inside a DOCX, say) with the
   * cleaner the registry picks for its bytes, and gives what its verification found (the service
   * adds it to this file's own outcome). Resolves to null when no cleaner handles that type.
   * `readWith` names the type of a file this file's own ExifTool read already read whole (a PDF's
   * read with `-ee` reads its JPEG pictures): it is cleaned as that type without a read of its
   * own, and its tags, already counted with this file's, are not counted again.
   */
  cleanNested(input: string, output: string, readWith?: { fileType: string }): Promise<NestedOutcome | null>;
  /**
   * The type of a file `cleanNested` resolved to null for, as the registry's refusal names it
   * ("NMEA GPS log", "RF64 WAV", ExifTool's FileType, or "unknown type"): what a refusal of the
   * enclosing file names.
   */
  unsupportedType(input: string): string;
  /**
   * Says that `output` is written for good: what the cleaner still does reads it only (its own
   * checks of the copy). The service may then start the verification's ExifTool re-read beside
   * those checks instead of after them. Never call it before the last byte is written.
   */
  outputFinal(): void;
}

/**
 * What cleaning may ask of the service's ExifTool pool. Cleaners run in task processes (the
 * isolation boundary), so they get this narrow message-friendly interface, not the pool itself.
 */
export interface ExifToolAccess {
  /**
   * Every tag of a file as the contract reads it (`-G0 -u`); `embedded` adds `-ee`; `imageHash`
   * adds `File:ImageDataHash`, ExifTool's hash of the picture data itself (a camera raw's sensor
   * data, not its previews), to prove that a rewrite left those bytes alone. `head`: the file's
   * first bytes when the caller holds them already (what the read looks at there is not read again).
   */
  read(file: string, opts?: { embedded?: boolean; numeric?: boolean; imageHash?: boolean; head?: Buffer }): Promise<RawRead>;
  /**
   * `exiftool ARGS -o OUTPUT INPUT`: a rewrite by ExifTool itself (e.g. `["-all="]`). Resolves to
   * ExifTool's error messages, empty on success.
   */
  write(input: string, output: string, args: readonly string[]): Promise<string[]>;
}

export interface CleanOutcome {
  /**
   * Findings about the original the cleaner saw while reading it anyway (a PDF's objects), so
   * that the findings look does not read the file a second time (findings/index.ts).
   */
  findings?: readonly Finding[];
  /**
   * A PDF's attached files as the same read lists them, for the findings' look into them
   * (findings/index.ts, `attachedFindingsOf`), which then reads only their data.
   */
  attachedFiles?: readonly PdfAttachedFile[];
  /** What the cleaner had to keep that the client did not ask for (verification accepts it). */
  alsoKept?: readonly KeepOption[];
  /**
   * Hidden content removed, counted under its own key of `removed` (`comments`,
   * `trackedChanges`, `annotations`, `attachments`, `subtitles`, `previews`, `members`...).
   */
  hidden?: Readonly<Record<string, number>>;
  /**
   * Content kept unchanged on request that no tag read shows (archive members no cleaner
   * handles, with `unknownMembers=keep`): merged into `remaining` as group -> name -> value.
   */
  remaining?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * What the files nested inside had removed and still hold, at every level below, summed by the
   * service (clean-file.ts) from their own verifications: merged into `removed` and `remaining`.
   */
  nested?: NestedOutcome;
  /**
   * The type ExifTool gives the copy, where cleaning rightly changes it: an Illustrator file
   * (ExifTool's AI: a PDF holding Illustrator's private data) without that data is a PDF.
   */
  fileType?: string;
  /**
   * Fields of the copy, as `group:tag`, that hold its pictures' data though their names say
   * preview: ExifTool names a field by the directory it stands in, so an old-style JPEG page's
   * JPEGInterchangeFormat is `EXIF:ThumbnailOffset` in a TIFF's second page. Verification takes
   * them as structural in this copy only.
   */
  pictureFields?: readonly string[];
  /**
   * Set where ExifTool reads nothing of the type (a bare MPEG-4 video stream is its "File format
   * error") and the cleaner walked every byte of the copy itself: verification then accepts the
   * copy's read failing with the original's error, and no other failure.
   */
  readByCleanerOnly?: boolean;
}

/** What the verification of a nested file (and of the files nested in it) found. */
export interface NestedOutcome {
  /** Tags removed per lower-case group, and hidden content under its own keys. */
  removed: Readonly<Record<string, number>>;
  /** What is still in it because `keep` asked for it, as the contract's `remaining`. */
  remaining: Readonly<MetadataGroups>;
}

/** A tag read back from a cleaned file, as ExifTool names it with `-G0`. */
export interface FoundTag {
  group: string;
  tag: string;
  value: unknown;
}

/**
 * One format family's cleaner (one file per family, as mat2's parsers). A cleaner throws
 * `BadFileError` (errors.ts) for a file that claims its type but cannot be parsed, `TooComplexError`
 * for one over the budgets;
 * any other error is the service's own failure.
 */
export interface Cleaner {
  /** Short name for logs and metrics, e.g. "jpeg". */
  readonly name: string;
  /** ExifTool FileType values this cleaner handles. */
  readonly fileTypes: readonly string[];
  /**
   * Writes `ctx.output`. Resolves to an outcome when it had to keep something the client did not
   * ask to keep (an orientation no lossless rotation could apply), so that verification accepts
   * it and `remaining` shows it.
   */
  clean(ctx: CleanContext): Promise<CleanOutcome | void>;
  /**
   * True for a tag that the format itself needs (image size, codec, track layout...) and that
   * therefore stays after cleaning without counting as leftover metadata. Tags that only
   * describe the file (see `isDescriptive` in keep.ts) never reach this check.
   */
  isStructural(tag: FoundTag): boolean;
  /**
   * True for a tag the cleaner leaves in place on purpose although the format does not strictly
   * need it (a camera raw's own notes, which raw decoders read and which cannot be told apart
   * from the picture's needs): verification accepts it and `remaining` lists it.
   */
  isRetained?(tag: FoundTag): boolean;
}
