import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { resourceBlocks } from "./psd-resources.js";
import { readLayout, readSections } from "./psd-structure.js";

/** Whether a file's first bytes are a Photoshop document's (PSD or PSB). */
export function isPsdHead(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.toString("latin1", 0, 4) === "8BPS";
}

/**
 * Refuses (TooComplexError) a Photoshop document with more image resources than any Photoshop
 * writes (psd-structure.ts, MAX_RESOURCES), walking only their heads up to that count: ExifTool
 * reads every block, and spends a minute on millions of empty ones. A damaged document is left to
 * the cleaner, which says so.
 */
export async function checkPsdShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    await readLayout(src);
    const { resources } = await readSections(src);
    // The walk itself refuses past the limit.
    for await (const block of resourceBlocks(src, resources[0], resources[1])) void block;
  } catch (err) {
    if (err instanceof TooComplexError) throw err;
  } finally {
    await src.close();
  }
}
