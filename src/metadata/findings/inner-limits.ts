import type { Finding } from "./types.js";

// Apart from the look itself (inner.ts), so that the extraction's warning does not load every
// container's reader into the main thread.

/**
 * How much of the files inside one file a request looks at: ExifTool reads each, so a DOCX of
 * thousands of pictures would cost thousands of reads. Past these, a finding and a warning say how
 * many files were not looked at. Files inside inner files (a photo in a DOCX in a ZIP) count as well.
 */
export const INNER_LOOK_LIMITS = {
  maxFiles: 64,
  /** Bytes of inner files written out for ExifTool, all levels together. */
  maxBytes: 64 * 1024 * 1024,
  /** A photo in a DOCX in a ZIP is the second level. */
  maxDepth: 2,
  /**
   * Time from the look's start after which no further inner file is read: 64 files that each
   * cost ExifTool ~0.4 s (10,000 text chunks in each PNG of a ZIP) made an extraction take 29 s.
   * The read under way when it passes still ends, so a look lasts at most this plus one read.
   */
  maxMs: 10_000,
} as const;

/** The title of the finding that says how many inner files the look left out. */
export function notLookedTitle(n: number): string {
  const { maxFiles, maxBytes, maxMs } = INNER_LOOK_LIMITS;
  return `${n} file(s) inside were not looked into (past ${maxFiles} files, ${maxBytes / 1024 / 1024} MB or ${maxMs / 1000} s of reading, damaged, or too complex): their metadata is not in these findings.`;
}

/**
 * The extraction's `warnings` line when `findings` leave files inside out (the look's finding
 * titled by `notLookedTitle` says how many): the result is incomplete, as when ExifTool could not read all of a file.
 */
export function innerWarnings(findings: readonly Finding[]): string[] {
  const left = findings.find((f) => f.kind === "embedded" && f.tags.length === 0 && f.value != null && f.title === notLookedTitle(Number(f.value)));
  return left == null ? [] : [`${left.value} file(s) inside this file were not looked into (the findings' limits of files, bytes and time, damaged or too complex files): the findings leave out their metadata.`];
}
