import { describeName } from "./archive/member-name.js";
import { BadFileError } from "./errors.js";
import type { ExifToolAccess } from "./types.js";

/** An inner file's type as a refusal names it: ExifTool's FileType, read from its bytes, or "unknown type". */
export async function innerFileType(exiftool: ExifToolAccess, file: string): Promise<string> {
  const { tags } = await exiftool.read(file);
  const type = tags["File:FileType"];
  return typeof type === "string" && type !== "" ? type : "unknown type";
}

/**
 * The refusal of a file inside a document that no cleaner handles, naming it where the document
 * gives it a name (a part's, a packaged file's) and its type, as the contract asks ("a 422 naming
 * its type") and as an archive's refusal names its members: `holder` says what holds it ("The
 * document holds an embedded file"), `file` is where its bytes are.
 */
export async function innerRefusal(exiftool: ExifToolAccess, holder: string, file: string, name: string | null, cause: string): Promise<BadFileError> {
  const type = await innerFileType(exiftool, file);
  const which = name == null || name === "" ? ` (${type})` : `: ${describeName(name)} (${type})`;
  return new BadFileError(`${holder} that cannot be cleaned${which}.`, new Error(cause));
}
