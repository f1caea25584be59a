import fsp from "node:fs/promises";

/**
 * Creates `dir` unless it exists, and never its parents: a Ctrl-C'd `exifapi clean` or `inspect`
 * removes its run's folder while task processes may still be at work in it, and a recursive
 * mkdir there would create that folder again and leave it behind.
 */
export async function makeDir(dir: string): Promise<void> {
  await fsp.mkdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
}
