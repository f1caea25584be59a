import { describeName } from "./archive/member-name.js";
import { BadFileError } from "./errors.js";
import type { CleanContext } from "./types.js";

/**
 * The refusal of a file inside a document that no cleaner handles (`ctx.cleanNested` resolved to
 * null for `file`), naming it where the document gives it a name (a part's, a packaged file's) and
 * its type, as the contract asks ("a 422 naming its type") and as an archive's refusal names its
 * members: `holder` says what holds it ("The document holds an embedded file").
 */
export function innerRefusal(ctx: CleanContext, holder: string, file: string, name: string | null, cause: string): BadFileError {
  const type = ctx.unsupportedType(file);
  const which = name == null || name === "" ? ` (${type})` : `: ${describeName(name)} (${type})`;
  return new BadFileError(`${holder} that cannot be cleaned${which}.`, new Error(cause));
}
