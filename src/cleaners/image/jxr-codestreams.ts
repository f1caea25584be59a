import crypto from "node:crypto";
import { BadFileError } from "../errors.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { codestreamsOf, readJxr } from "./jxr-directory.js";

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

/**
 * Refuses a cleaned JPEG XR picture whose directories do not point at the original's
 * codestreams, the same bytes in the same order: the proof that the rewrite moved the pixels
 * without touching them, read from the copy's own offsets.
 */
export async function checkSameCodestreams(original: string, cleaned: string): Promise<void> {
  const before = await codestreamDigests(original);
  const after = await codestreamDigests(cleaned);
  if (before.join() !== after.join()) throw new BadFileError(CHANGED, new Error(`jxr: codestreams ${before.join()} became ${after.join()}`));
}

/** Per directory, each codestream's length and SHA-256, read a window at a time. */
async function codestreamDigests(file: string): Promise<string[]> {
  const src = await FileBytes.open(file);
  try {
    const digests: string[] = [];
    for (const entries of (await readJxr(src)).ifds) {
      for (const [start, end] of codestreamsOf(entries, src.size)) {
        const hash = crypto.createHash("sha256");
        for (let at = start; at < end; at += WINDOW) hash.update(await src.read(at, Math.min(WINDOW, end - at)));
        digests.push(`${end - start}:${hash.digest("hex")}`);
      }
    }
    return digests;
  } finally {
    await src.close();
  }
}
