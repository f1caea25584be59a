import type { RawRead, RawTags } from "../metadata/read-task.js";
import type { ToolOptions, ToolRun } from "../cleaners/run-tool.js";
import type { JobResult, TaskOrder } from "./jobs.js";

/**
 * What a task process may ask of the service, which owns the ExifTool pool and every helper
 * program: a program started by a task process would outlive it when it is killed, so the service
 * starts, times and kills them all, under the task's signal (the programs themselves are forked by
 * its spawner process, see tool-spawner.ts).
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

/** An error crossing the process boundary (serialization keeps neither class nor cause). */
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

/**
 * The service's messages to a task process. Each names its task (a number the service gives), so
 * that an answer meant for a stopped task is never taken by the next one.
 */
export type ToTaskProcess =
  | ({ kind: "task"; task: number } & TaskOrder)
  | ({ kind: "answer"; task: number } & AnswerMessage)
  /** The task is stopped (deadline, client gone): it ends at its next check (see worker-channel.ts). */
  | { kind: "stop"; task: number };

/** A task process's messages to the service: its questions, and its task's outcome. */
export type FromTaskProcess = ({ kind: "call"; task: number } & RequestMessage) | { kind: "result"; task: number; result: JobResult<unknown> };
