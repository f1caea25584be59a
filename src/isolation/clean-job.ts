import type { MessagePort } from "node:worker_threads";
import type { CleanOutcome, KeepOption, UnknownMembers } from "../cleaners/types.js";
import type { SerializedError } from "./messages.js";

/** One file to clean, as it crosses into a worker (plain data only). */
export interface CleanJob {
  input: string;
  output: string;
  workDir: string;
  /** ExifTool's FileType, already detected by the main thread. */
  fileType: string;
  keep: KeepOption[];
  unknownMembers: UnknownMembers;
  /** The worker's end of the task's line to the main thread (transferred). */
  port: MessagePort;
}

export type CleanJobResult = { ok: true; outcome: CleanOutcome } | { ok: false; error: SerializedError };
