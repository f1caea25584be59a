import type { ExifTool } from "exiftool-vendored";

/** The most ExifTool may print for one task: a normal file's JSON is a few kB, a long video's GPS track a few MB. */
export const MAX_EXIFTOOL_OUTPUT_BYTES = 32 * 1024 * 1024;

/** Rejects a task whose output passed {@link MAX_EXIFTOOL_OUTPUT_BYTES}. */
export class OutputTooLarge extends Error {}

/**
 * Stops any ExifTool task whose output grows past `maxBytes` (a PNG of 204 kB holding 200 MB of
 * zTXt prints 200 MB of JSON, which the service would then hold and parse in memory).
 *
 * The process that printed it is ended too, not only the task: the rest of the output is still
 * coming, and an idle process would hand it to the next task, another client's file.
 */
export function capTaskOutput(exiftool: ExifTool, maxBytes: number = MAX_EXIFTOOL_OUTPUT_BYTES): void {
  const received = new WeakMap<object, number>();
  exiftool.on("taskData", (data, task, proc) => {
    if (task == null) return;
    const total = (received.get(task) ?? 0) + data.length;
    received.set(task, total);
    if (total <= maxBytes) return;
    task.reject(new OutputTooLarge(`ExifTool printed more than ${maxBytes} bytes`));
    void proc.end(false, "broken");
  });
}
