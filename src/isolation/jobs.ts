import type { MessagePort } from "node:worker_threads";
import type { Screened } from "../cleaners/screen.js";
import type { CleanedCopy } from "../cleaners/clean-file.js";
import type { KeepOption, UnknownMembers } from "../cleaners/types.js";
import type { Finding, PdfAttachedFile } from "../metadata/findings/index.js";
import type { RawTags } from "../metadata/read-task.js";
import type { SerializedError } from "./messages.js";

/** What every task carries besides its job: its line to the main thread and its stop flag. */
export interface TaskLine {
  /** The worker's end of the task's line to the main thread (transferred). */
  port: MessagePort;
  /**
   * Set to 1 (Atomics) by the main thread when the task is stopped (deadline, client gone): the
   * task ends at its next check (see worker-channel.ts) and its thread takes the next task.
   */
  stop: Int32Array;
}

/** One file to clean, as it crosses into a worker (plain data only). */
export interface CleanJob extends TaskLine {
  input: string;
  output: string;
  workDir: string;
  /** ExifTool's FileType, already detected by the main thread. */
  fileType: string;
  keep: KeepOption[];
  unknownMembers: UnknownMembers;
}

/** What a file gives away: the findings of its ExifTool read and of a look into the file itself. */
export interface FindingsJob extends TaskLine {
  /** The read; none: the task asks the main thread for it (op "tags", see FindingsRead) once its decode ahead started. */
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
export interface AttachedFindingsJob extends TaskLine {
  tags: RawTags;
  file: string;
  /** As a FindingsJob's. */
  scratchDir: string;
  files: PdfAttachedFile[];
}

/** A file whose shape is checked before ExifTool reads it (see cleaners/screen.ts). */
export interface ScreenJob extends TaskLine {
  file: string;
  /** Where a view of the file for ExifTool may be written (see checkShape). */
  view?: string;
}

export type JobResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };
export type CleanJobResult = JobResult<CleanedCopy>;
export type FindingsJobResult = JobResult<Finding[]>;
export type ScreenJobResult = JobResult<Screened>;
