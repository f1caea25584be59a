import { readHead } from "../cleaners/file-bytes.js";
import { isMatroskaHead } from "../cleaners/media/matroska-screen.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import { ReadAllTask } from "./read-all-task.js";
import type { RunTask } from "./task-runner.js";
import { completeRead } from "./unrecognised-types.js";
import { WriteTask } from "./write-task.js";

/**
 * The pool seen through the narrow interface cleaners get; `signal` (a request's) stops its tasks.
 *
 * A Matroska or WebM file read with `-ee` (which makes ExifTool go past the clusters to the tags
 * and index after them) is read without `-u`: ExifTool's tags of its cue points are "unknown"
 * ones, four per keyframe, and each costs more the more there are (its duplicate-tag names): a
 * five-minute all-intra WebM took 1.4 s, an hour of it (108,000 cue points) more than ExifTool's
 * 60 s timeout, so a valid recording was refused. What `-u` adds there is structure (cue points,
 * seek entries, codec set-up) and elements of IDs ExifTool does not know; the cleaner's remux
 * writes none of the latter, so a copy is verified as well without.
 */
export function exiftoolAccess(run: RunTask, signal?: AbortSignal): ExifToolAccess {
  return {
    read: async (file, opts) => {
      const embedded = opts?.embedded === true;
      const unknown = !embedded || !isMatroskaHead(opts?.head ?? (await readHead(file, 4)));
      return completeRead(file, await run(() => ReadAllTask.for(file, opts?.numeric === true, embedded, opts?.imageHash === true, unknown), signal), opts?.head);
    },
    write: (input, output, args) => {
      if (args.some((a) => /[\r\n\0]/.test(a))) return Promise.reject(new Error("refused an ExifTool argument with a control character"));
      return run(() => WriteTask.for(input, output, args), signal);
    },
  };
}
