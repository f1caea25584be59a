import fsp from "node:fs/promises";
import { TooComplexError } from "../errors.js";

/**
 * Subtitle files are read whole (a feature film's take 100-200 kB); this bounds what a hostile one
 * holds in memory.
 */
const MAX_BYTES = 16 * 1024 * 1024;

/** The file as text in `encoding`, refused as too complex past MAX_BYTES (`what` names it: "a WebVTT file"). */
export async function readWholeText(file: string, encoding: "utf8" | "latin1", what: string): Promise<string> {
  const { size } = await fsp.stat(file);
  if (size > MAX_BYTES) throw new TooComplexError(`${what} over ${MAX_BYTES} bytes`);
  return fsp.readFile(file, encoding);
}
