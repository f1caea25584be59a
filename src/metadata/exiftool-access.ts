import type { ExifTool } from "exiftool-vendored";
import type { ExifToolAccess } from "../cleaners/types.js";
import { ReadAllTask } from "./read-task.js";
import { WriteTask } from "./write-task.js";

/** The pool seen through the narrow interface cleaners get. */
export function exiftoolAccess(exiftool: ExifTool): ExifToolAccess {
  return {
    read: (file, opts) => exiftool.enqueueTask(() => ReadAllTask.for(file, opts?.numeric === true, opts?.embedded === true, opts?.imageHash === true)),
    write: (input, output, args) => {
      if (args.some((a) => /[\r\n\0]/.test(a))) return Promise.reject(new Error("refused an ExifTool argument with a control character"));
      return exiftool.enqueueTask(() => WriteTask.for(input, output, args));
    },
  };
}
