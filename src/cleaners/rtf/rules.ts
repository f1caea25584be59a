/**
 * What each RTF group and control word is to the cleaner (names from the RTF 1.9.1
 * specification and from what Word and LibreOffice write).
 */

/**
 * The fields of the document properties (`\info`, `\userprops`). Readers hide them wherever they stand
 * (LibreOffice shows none of them outside `\info` either), so a damaged `\info` does not turn
 * them into text: they go wherever they are.
 */
export const INFO_FIELDS: readonly string[] = [
  "title", "subject", "author", "manager", "company", "operator", "category", "keywords", "comment", "doccomm", "hlinkbase", "creatim", "revtim", "printim", "buptim",
  // A custom property's name and value (`\userprops`).
  "propname", "staticval", "linkval",
];

/**
 * Groups that are metadata whole: the document properties (`\info`: title, subject, author,
 * operator, company, manager, category, keywords, comments, dates, edit time, version...),
 * custom properties, the table of save-session ids that links copies of a file, the writing
 * program's name, the template's path, document variables, the users allowed to edit protected
 * ranges, and Word's custom XML data store. The revision authors' table goes with the tracked
 * changes (revisions.ts), kept with its names blanked when they are kept.
 */
export const METADATA_GROUPS: ReadonlySet<string> = new Set([
  "info",
  ...INFO_FIELDS,
  "userprops",
  "rsidtbl",
  "generator",
  "template",
  "docvar",
  "protusertbl",
  "datastore",
]);

/** Save-session ids on paragraphs, runs, sections, tables and styles (`\insrsid123`, `\rsidroot`...). */
export const isRsidWord = (name: string): boolean => /rsid(root)?$/.test(name);

/**
 * A review comment's parts: its author's initials and name, the comment itself, its date, the
 * reply's parent and the marks of the commented range.
 */
export const COMMENT_GROUPS: ReadonlySet<string> = new Set(["atnid", "atnauthor", "annotation", "atndate", "atntime", "atnref", "atnparent", "atnicn", "atrfstart", "atrfend"]);
/**
 * Destinations that hold metadata or review content, which a damaged file may hold inside a
 * group rather than at its head: readers then take the rest of the group as that destination
 * (see rewrite.ts), hidden.
 */
export const HIDDEN_DESTINATIONS: ReadonlySet<string> = new Set([...METADATA_GROUPS, ...COMMENT_GROUPS, "revtbl"]);

/** The comment's anchor character in the text. */
export const COMMENT_MARK = "chatn";

/** The former properties of a tracked formatting change (the current ones stay). */
export const FORMER_PROPERTIES: ReadonlySet<string> = new Set(["oldcprops", "oldpprops", "oldsprops", "oldtprops"]);
/** Who made a tracked change (an index into `\revtbl`). */
export const REVISION_AUTHORS: ReadonlySet<string> = new Set(["revauth", "revauthdel", "crauth", "prauth", "pnrauth"]);
/** When a tracked change was made (a packed date). */
export const REVISION_DATES: ReadonlySet<string> = new Set(["revdttm", "revdttmdel", "crdate", "prdate", "pnrdate"]);
/** The document's "track changes" setting. */
export const TRACKING = "revisions";

/**
 * Destinations that stand for content in the text, which go whole when they sit in deleted
 * text (a deleted field, picture, footnote, shape or object); every `\*` destination too.
 */
export const CONTENT_GROUPS: ReadonlySet<string> = new Set(["field", "pict", "shp", "shpgrp", "object", "footnote", "xe", "tc", "txe", "do", "nonshppict"]);

/**
 * Control words that put a character into the text (in deleted text they go with it). Table
 * structure (`\cell`, `\row`) and section breaks stay: a deleted table row keeps its now empty
 * cells rather than the table losing its shape.
 */
export const TEXT_WORDS: ReadonlySet<string> = new Set([
  "par", "line", "tab", "page", "column", "u", "emdash", "endash", "emspace", "enspace", "qmspace", "bullet", "lquote", "rquote",
  "ldblquote", "rdblquote", "zwj", "zwnj", "zwbo", "zwnbo", "ltrmark", "rtlmark", "chdate", "chdpl", "chdpa", "chtime", "chpgn", "chftn", "chatn",
]);

/** Picture formats whose data goes through the JPEG and PNG cleaners. */
export const CLEANED_PICTURES: ReadonlySet<string> = new Set(["jpegblip", "pngblip"]);
/** A picture's checksum and id, computed from its data (which cleaning changes), left out. */
export const PICTURE_IDS: ReadonlySet<string> = new Set(["bliptag", "blipuid"]);
