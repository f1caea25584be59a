/**
 * What a workbook's external data connections say of the person who made them, and how it goes
 * while the connection still names its provider, server, database and table (what the data is,
 * not who fetched it): the values a connection string keeps are those of the keys known to
 * describe the data and how to reach it (KEPT); every other value (a user name, a password, a
 * machine name, and any key no provider here is known to write, such as a damaged `U3er ID`) is
 * emptied, and a path on the author's disk or network (a database file, a connection file, a
 * text file's folder: `C:\Users\jane\...`) becomes its bare name, as Excel writes a file beside
 * the workbook.
 */

/**
 * Keys whose value stays (OLE DB's, ODBC's, Jet's, Analysis Services' and SQL Server's spellings,
 * by their letters only, lower case): the provider or driver, where the data is (server, database,
 * file, cube) and how it is read (modes, timeouts, formats, flags). Jet's own properties
 * (`Jet OLEDB:...`) stay too, but for its passwords.
 */
const KEPT = new Set([
  "provider", "driver", "driverid", "datasource", "dsn", "dbq", "fil", "initialcatalog", "database", "server", "address", "addr",
  "location", "catalog", "cube", "mode", "extendedproperties", "persistsecurityinfo", "integratedsecurity", "trustedconnection", "autotranslate",
  "packetsize", "useprocedureforprepare", "useencryptionfordata", "tagwithcolumncollationwhenpossible", "encrypt", "trustservercertificate",
  "applicationintent", "multisubnetfailover", "networklibrary", "network", "connecttimeout", "connectiontimeout", "commandtimeout", "timeout",
  "localeidentifier", "currentlanguage", "oledbservices", "hdr", "imex", "fmt", "format", "charset", "characterset", "maxbuffersize", "pagetimeout",
  "maxscanrows", "readonly", "exclusive", "implicitcommitsync", "usercommitsync", "safetransactions", "threads", "mdxcompatibility",
  "safetyoptions", "mdxmissingmembermode", "updateisolationlevel", "subqueries", "port", "sslmode", "option",
]);

/** Jet's properties, whose values stay but for its passwords. */
const JET = /^jetoledb(?!.*password$)/;

/**
 * A drive letter, a UNC share, a file URL, a Mac's or Unix's home folders, or a person's own
 * OneDrive (its account id, or the owner's name in a SharePoint `/personal/` site).
 */
const PERSONAL_PLACE = /^\s*(?:[a-z]:[\\/]|\\\\|file:|\/(?:users|home)\/|https?:\/\/(?:d\.docs\.live\.net\/|[^/]+\/personal\/))/i;

/**
 * Each `key=value` of a connection string, also inside a quoted value (OLE DB's Extended
 * Properties often hold an ODBC string of their own): a value runs to the next `;` or `"`.
 */
const PAIR = /(^|[;"])([^;="]+)=([^;"]*)/g;

/**
 * A Windows path's folders (drive letter or UNC share up to the last separator: no segment holds
 * a colon or a quote) anywhere in a text such as a query (`SELECT * FROM C:\Users\jane\list.txt`),
 * also with its backslashes doubled, as Word's field instructions escape them (a share's leading
 * backslashes are taken from the first: tried from each one, a long run of them cost its square).
 */
const WINDOWS_FOLDERS = /(?:\b[A-Za-z]:|(?<!\\)\\\\+[^\\/`'":\r\n]+)[\\/](?:[^\\/`'":\r\n]*[\\/])*/g;

/**
 * What is left of a path at the end of a text read so far: a last segment that may be a folder.
 * Sticky, tried where a path's folders end: it reads no further than that segment.
 */
const UNFINISHED = /[^\\/`'":\s]*$/y;

/** `C:\Users\jane\Documents\sales.accdb` -> `sales.accdb`; a server's or a shared site's address as it was. */
export function bareName(value: string): string {
  return PERSONAL_PLACE.test(value) ? value.replace(/^.*[\\/]/, "") : value;
}

/** A web address: a scheme of two letters or more (`https:`, `mailto:`; a drive letter is one) but `file:`. */
const WEB_ADDRESS = /^\s*(?!file:)[a-z][a-z0-9+.-]+:/i;
/** A path leaving the document's folder: from a root (`/`, `\`) or climbing (`..`). */
const OUTSIDE_FOLDER = /^\s*[\\/]|(?:^|[\\/])\.\.(?:[\\/]|$)/;

/**
 * A link's target as a document keeps it (a hyperlink, a linked picture or file): a web address
 * as `bareName` leaves it; a path (or a `file:` URL) becomes its bare name where it is a personal
 * place or leaves the document's folder (`..\..\jane\notes.docx`: the folders climbed through are
 * the author's own), as Office finds a file beside the document; a path down from the
 * document's folder (`data\list.xls`) stays.
 */
export function bareLinkTarget(value: string): string {
  if (WEB_ADDRESS.test(value)) return bareName(value);
  return PERSONAL_PLACE.test(value) || OUTSIDE_FOLDER.test(value) ? value.replace(/^.*[\\/]/, "") : value;
}

/**
 * The connection string without its credentials and folders, also those of a quoted path (Jet's
 * `System database="C:\Users\jane\...\System.mdw"`). With `sameLength`, for records rewritten
 * in place, each shortened value is padded with spaces to its former length, and the folders of a
 * path that is not a whole value become spaces where they stood.
 */
export function scrubConnectionString(s: string, sameLength = false): string {
  const pairs = s.replace(PAIR, (_whole, lead: string, key: string, value: string) => {
    // Letters only: a string found inside a binary record may start with a stray character (record-text.ts).
    const letters = key.replace(/[^a-z]/gi, "").toLowerCase();
    const kept = KEPT.has(letters) || JET.test(letters) ? bareName(value) : "";
    return `${lead}${key}=${sameLength ? kept.padEnd(value.length, " ") : kept}`;
  });
  return sameLength ? blankFolders(pairs) : barePaths(pairs);
}

/** The text with every Windows path in it reduced to its bare name. */
export function barePaths(text: string): string {
  return text.replace(WINDOWS_FOLDERS, "");
}

/** The text with the folders of every Windows path in it turned into spaces, for strings rewritten in place. */
export function blankFolders(text: string): string {
  return text.replace(WINDOWS_FOLDERS, (folders) => " ".repeat(folders.length));
}

/**
 * The piece of a text read in pieces (a Word field's instruction, split across runs) without the
 * folders of the Windows paths in the text so far (`prior`, then `piece`): those of a path begun
 * in an earlier piece too. A path still going on where the piece ends loses its last segment as
 * well, which may be a folder the next piece carries on: at worst the start of a file name goes.
 */
export function barePathsInPiece(prior: string, piece: string): string {
  const whole = prior + piece;
  let out = "";
  let at = prior.length;
  for (const m of whole.matchAll(WINDOWS_FOLDERS)) {
    const start = m.index ?? 0;
    let end = start + m[0].length;
    if (end <= at) continue;
    UNFINISHED.lastIndex = end;
    if (UNFINISHED.test(whole)) end = whole.length;
    out += whole.slice(at, Math.max(start, at));
    at = end;
  }
  return out + whole.slice(at);
}
