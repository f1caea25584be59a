import type { ExifToolAccess } from "../cleaners/types.js";
import { ReadAllTask } from "./read-all-task.js";
import type { RunTask } from "./task-runner.js";
import { completeRead } from "./unrecognised-types.js";
import { WriteTask } from "./write-task.js";

/** The pool seen through the narrow interface cleaners get; `signal` (a request's) stops its tasks. */
export function exiftoolAccess(run: RunTask, signal?: AbortSignal): ExifToolAccess {
  return {
    read: async (file, opts) =>
      completeRead(file, await run(() => ReadAllTask.for(file, opts?.numeric === true, opts?.embedded === true, opts?.imageHash === true), signal), opts?.head),
    write: (input, output, args) => {
      if (args.some((a) => /[\r\n\0]/.test(a))) return Promise.reject(new Error("refused an ExifTool argument with a control character"));
      return run(() => WriteTask.for(input, output, args), signal);
    },
  };
}
