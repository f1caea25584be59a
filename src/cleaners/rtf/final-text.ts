import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { HIDDEN_DESTINATIONS, INFO_FIELDS } from "./rules.js";
import { DAMAGED, RtfTokens } from "./tokens.js";

/** The final text of a document, as a digest and a length (white space left out). */
export interface FinalText {
  digest: string;
  chars: number;
}

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";
const MAX_DEPTH = 200;

/**
 * Groups that hold no text a reader sees: the tables and properties of the document (its
 * properties' fields wherever they stand), a picture's data, a shape's property values, an
 * embedded object's data, and every ignorable (`\*`) destination (field instructions,
 * bookmarks, comments, revision tables...) but a shape's, whose text boxes are read.
 */
const UNSEEN: ReadonlySet<string> = new Set(["fonttbl", "colortbl", "stylesheet", "info", ...INFO_FIELDS, "pict", "sp", "objdata", "objclass", "filetbl", "listtable", "listoverridetable"]);
const SEEN_IGNORABLE: ReadonlySet<string> = new Set(["shpinst", "shprslt", "shppict"]);
/** Control words that stand for one character; white space ones (`\par`, `\tab`) leave none. */
const CHARACTERS: Readonly<Record<string, string>> = {
  emdash: "\u2014", endash: "\u2013", bullet: "\u2022", lquote: "\u2018", rquote: "\u2019", ldblquote: "\u201c", rdblquote: "\u201d",
  chftn: "\u0001ftn", chpgn: "\u0001pgn", chdate: "\u0001date", chtime: "\u0001time",
};

/**
 * The text a reader sees in an RTF document's final view (every tracked change accepted:
 * text formatted as deleted left out; comments hidden), read by a walk of its own, apart from
 * the cleaner's rewriting: the cleaned copy must read the same as the original. Code pages are
 * not decoded: `\'hh` bytes and `\uN` characters are compared as they are written, which both
 * copies write alike where the text was not touched.
 */
export function rtfFinalText(bytes: Buffer): FinalText {
  const tokens = new RtfTokens(bytes);
  const hash = crypto.createHash("sha256");
  let chars = 0;
  const see = (s: string): void => {
    chars += s.length;
    hash.update(s, "utf8");
  };
  // Per open group: whether its text is unseen, and whether text is formatted as deleted there.
  const stack: Array<{ unseen: boolean; deleted: boolean }> = [];
  for (let t = tokens.next(); t != null; t = tokens.next()) {
    const top = stack[stack.length - 1];
    if (t.kind === "open") {
      if (stack.length >= MAX_DEPTH) throw new TooComplexError(`RTF groups nested more than ${MAX_DEPTH} deep`);
      let head = tokens.peekPastLineBreaks();
      const star = head?.kind === "symbol" && head.ch === "*";
      if (star) {
        tokens.next();
        head = tokens.peekPastLineBreaks();
      }
      const name = head?.kind === "word" ? head.name : "";
      const unseen = (top?.unseen ?? false) || UNSEEN.has(name) || (star && !SEEN_IGNORABLE.has(name));
      stack.push({ unseen, deleted: top?.deleted ?? false });
      continue;
    }
    if (t.kind === "close") {
      stack.pop();
      if (stack.length === 0) break;
      continue;
    }
    if (top == null) throw new BadFileError(DAMAGED, new Error("rtf: text outside the document's group"));
    if (t.kind === "word" && (t.name === "plain" || t.name === "deleted")) top.deleted = t.name === "deleted" && t.param !== 0;
    // A destination inside a group rather than at its head: readers take the rest of the group as it.
    if (t.kind === "word" && (UNSEEN.has(t.name) || HIDDEN_DESTINATIONS.has(t.name))) top.unseen = true;
    if (t.kind === "symbol" && t.ch === "*") {
      const next = tokens.peekPastLineBreaks();
      if (!(next?.kind === "word" && SEEN_IGNORABLE.has(next.name))) top.unseen = true;
    }
    if (top.unseen || top.deleted) continue;
    if (t.kind === "text") see(bytes.toString("latin1", t.start, t.end).replace(/\s+/g, ""));
    else if (t.kind === "symbol") {
      if (t.byte != null) see(String.fromCharCode(t.byte));
      else if (t.ch !== "*" && t.ch !== "-" && t.ch !== "\n" && t.ch !== "\r") see(t.ch);
    } else if (t.kind === "word") {
      if (t.name === "u" && t.param != null) see(String.fromCharCode(t.param < 0 ? t.param + 65536 : t.param));
      else if (CHARACTERS[t.name] != null) see(CHARACTERS[t.name]!);
    }
  }
  if (stack.length > 0) throw new BadFileError(DAMAGED, new Error("rtf: the file ends inside a group"));
  return { digest: hash.digest("hex"), chars };
}

/** Refuses a cleaned RTF whose final text is not the original's. */
export function checkSameRtfText(original: Buffer, cleaned: Buffer): void {
  const before = rtfFinalText(original);
  const after = rtfFinalText(cleaned);
  if (before.digest === after.digest) return;
  throw new BadFileError(CHANGED, new Error(`rtf: the final text (${before.chars} characters) is not the original's (now ${after.chars})`));
}
