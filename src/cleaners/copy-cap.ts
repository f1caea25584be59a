import fsp from "node:fs/promises";

/** Room a copy gets past twice its inputs: a container's own tables and indexes for a small file. */
const SLACK_BYTES = 64 * 1024 * 1024;

/**
 * The most any file written by a program that copies `inputs` (ffmpeg's stream copy, jpegtran's
 * lossless rotation) may hold: twice their bytes and 64 MiB, a cap the program runs under
 * (RLIMIT_FSIZE: past it the kernel ends it with SIGXFSZ, which runTool calls too complex). A
 * copy of streams never needs that much; a table naming the same samples over and over does: an
 * MP4 whose edit list repeats its one second 1,000 times (a 945 kB file) was remuxed to 890 MB.
 */
export async function copyCapBytes(inputs: readonly string[]): Promise<number> {
  const sizes = await Promise.all(inputs.map(async (file) => (await fsp.stat(file)).size));
  return 2 * sizes.reduce((sum, size) => sum + size, 0) + SLACK_BYTES;
}
