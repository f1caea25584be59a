import { BadFileError } from "../errors.js";
import { runOrNull, runTool } from "../run-tool.js";
import { PASSWORD_PROTECTED } from "./qpdf.js";

const CHECK_TIMEOUT_MS = 10_000;
/** qpdf --requires-password: 0 when a password is needed (2: not encrypted, or unreadable; 3: opens without one). */
const NEEDS_PASSWORD = 0;

/**
 * Whether an encrypted PDF needs a password to open, as qpdf tells from its encryption dictionary
 * (a few milliseconds). ExifTool finds it out only after deriving the keys of the empty password,
 * and for AES-256 (revision 6: 64 or more rounds of AES and SHA-2, in Perl) that took it 4.5-7 s
 * of CPU before a removal was refused for it. A PDF qpdf cannot read is not called locked here:
 * the reads after the screen judge it.
 */
export async function needsPassword(file: string): Promise<boolean> {
  const r = await runOrNull(runTool("qpdf", ["--requires-password", file], { timeoutMs: CHECK_TIMEOUT_MS }));
  return r?.code === NEEDS_PASSWORD;
}

/**
 * Refuses (BadFileError) a file the screen found locked (`Screened.locked`), right after it: no
 * cleaning can open it, and ExifTool's read before the cleaning would only find that out, at length.
 */
export function refuseLocked(screened: { locked: boolean } | null): void {
  if (screened?.locked === true) throw new BadFileError(PASSWORD_PROTECTED);
}
