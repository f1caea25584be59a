import type { Screened } from "../cleaners/screen.js";
import type { CleanedCopy } from "../cleaners/clean-file.js";
import type { KeepOption, UnknownMembers } from "../cleaners/types.js";
import type { Finding, PdfAttachedFile } from "../metadata/findings/index.js";
import type { RawTags } from "../metadata/read-task.js";
import type { SerializedError } from "./messages.js";

/** One file to clean, as it crosses into a task process (plain data only). */
export interface CleanJob {
  input: string;
  output: string;
  workDir: string;
  /** ExifTool's FileType, already detected by the service. */
  fileType: string;
  keep: KeepOption[];
  unknownMembers: UnknownMembers;
}

/** What a file gives away: the findings of its ExifTool read and of a look into the file itself. */
export interface FindingsJob {
  /** The read; none: the task asks the service for it (op "tags", see FindingsRead) once its decode ahead started. */
  tags?: RawTags;
  file: string;
  /** An empty folder of the caller's for the look's own files, removed by the caller once the job settled. */
  scratchDir: string;
  /** False when the PDF cleaner reads the objects and gives their findings (see findingsOf). */
  pdfObjects?: boolean;
  /** A JPEG whose main picture the task decodes while ExifTool reads the file (see decodePictureAhead). */
  decodeAhead?: boolean;
  /** A PDF the screen found needs a password to open: its content is out of sight (see findingsOf). */
  locked?: boolean;
}

/** A PDF's attached files, as its cleaner's read listed them: what they give away (see attachedFindingsOf). */
export interface AttachedFindingsJob {
  tags: RawTags;
  file: string;
  /** As a FindingsJob's. */
  scratchDir: string;
  files: PdfAttachedFile[];
}

/** A file whose shape is checked before ExifTool reads it (see cleaners/screen.ts). */
export interface ScreenJob {
  file: string;
  /** Where a view of the file for ExifTool may be written (see checkShape). */
  view?: string;
}

export type JobResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };
export type CleanJobResult = JobResult<CleanedCopy>;
export type FindingsJobResult = JobResult<Finding[]>;
export type ScreenJobResult = JobResult<Screened>;

/** The kinds of task a task process runs (see task-process.ts), and the job each takes. */
export interface Jobs {
  clean: CleanJob;
  findings: FindingsJob;
  attachedFindings: AttachedFindingsJob;
  screen: ScreenJob;
}
export type JobName = keyof Jobs;
/** A job and the name of its kind, as a task process is given it. */
export type TaskOrder = { [N in JobName]: { name: N; job: Jobs[N] } }[JobName];
