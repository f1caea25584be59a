import type { RawRead, RawTags } from "../metadata/read-task.js";
import type { ToolOptions, ToolRun } from "../cleaners/run-tool.js";

/**
 * What a cleaning worker may ask of the main thread, which owns the ExifTool pool and every helper
 * process: a child started by a worker thread would outlive a terminated worker (nothing there
 * reaps it), so the main thread starts, times and kills them all, under the task's signal (the
 * programs themselves are forked by its spawner process, see tool-spawner.ts).
 */
export type MainRequest =
  | { op: "read"; file: string; embedded: boolean; numeric: boolean; imageHash: boolean }
  | { op: "write"; input: string; output: string; args: readonly string[] }
  | { op: "tool"; cmd: string; args: readonly string[]; opts: Omit<ToolOptions, "signal"> }
  /** A file inside the task's file weighs `bytes` more than its size (a PDF of many objects in a ZIP): room for it. */
  | { op: "weigh"; bytes: number }
  /** The file's ExifTool read, for a findings task started before it came (it waits for the read). */
  | { op: "tags" }
  /** The task's output file is written for good (see CleanContext.outputFinal). */
  | { op: "final" };

/** A findings task's read, handed over once it came, with the job's option that hung on it. */
export interface FindingsRead {
  tags: RawTags;
  /** As a FindingsJob's. */
  pdfObjects?: boolean;
}

export type MainAnswer = RawRead | FindingsRead | string[] | ToolRun | null;

export interface RequestMessage {
  id: number;
  request: MainRequest;
}

export type AnswerMessage = { id: number; ok: true; value: MainAnswer } | { id: number; ok: false; error: SerializedError };

/** An error crossing the thread boundary (structured clone keeps neither class nor cause). */
export interface SerializedError {
  kind: "bad_file" | "too_complex" | "unsupported_type" | "tool_failure" | "tools_unavailable" | "busy" | "internal";
  message: string;
  /** BadFileError's user sentence, or UnsupportedTypeError's type. */
  detail?: string;
  /** The internal cause chain, for the log. */
  cause?: string;
  /** A system error's code (ENOSPC: the disk filled while the worker wrote). */
  code?: string;
}
