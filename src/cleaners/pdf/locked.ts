import { BadFileError } from "../errors.js";
import { PASSWORD_PROTECTED } from "./qpdf.js";

/**
 * Refuses (BadFileError) a file the screen found locked (`Screened.locked`), right after it: no
 * cleaning can open it, and ExifTool's read before the cleaning would only find that out, at length.
 */
export function refuseLocked(screened: { locked: boolean } | null): void {
  if (screened?.locked === true) throw new BadFileError(PASSWORD_PROTECTED);
}
