import crypto from "node:crypto";
import { SaxesParser, type SaxesTagNS } from "saxes";
import { throwIfTaskStopped } from "../../isolation/worker-channel.js";
import { BadFileError, TooComplexError } from "../errors.js";
import { isSettledError } from "../unpack-guards.js";
import { refuseInternalSubset } from "./doctype.js";
import { openZip, openZipEntry, zipEntries } from "../zip-file.js";
import { MarkupCompatibility } from "./markup-compatibility.js";
import { W } from "./ooxml-ns.js";
import type { XmlElement } from "./xml-stream.js";
import { OFFICE_LIMITS } from "./zip-read.js";

/**
 * The text a reader sees in a document's final view (every tracked change accepted, comments
 * hidden), read on its own, apart from the cleaners' rewriting code: the cleaned copy must read
 * the same as the original. Each text part is walked as a stream and only a digest of its text is
 * kept. Whitespace is left out of the digest: accepting a deleted paragraph mark joins two
 * paragraphs, and the XML's own layout may change, without changing the words a reader sees.
 */
export type TextFormat = "ooxml" | "opendocument" | "epub";

/** The final text of one part, as a digest and a length (whitespace left out). */
export interface PartText {
  digest: string;
  chars: number;
}

const CHANGED = "The file could not be cleaned without changing its content; it may be damaged.";

/**
 * Refuses a cleaned document whose final text differs from the original's, part by part. The
 * error's cause names the parts and their lengths before and after (the refusal's log line). A
 * part whose bytes from its root element on are the copy's too, and whose declaration names the
 * same encoding (see encodingOf), reads the same in both (its prolog holds no text, and one with a
 * DTD is parsed as before): only the others are parsed. The
 * cleaner leaves many large parts (a sheet written by LibreOffice, shared strings) byte for byte
 * as they were, and parsing both copies of them cost most of a rewrite again: 5-6 s of CPU for
 * 100,000 rows of 8 cells, 0.65 s when compared as bytes. The parts in `unopened` (no reader
 * opens them: nothing leads to them) may be missing from the copy; if present, they are compared.
 */
export async function checkSameFinalText(original: string, cleaned: string, format: TextFormat, unopened: ReadonlySet<string> = new Set()): Promise<void> {
  const bodiesBefore = await partBodies(original, format);
  const bodiesAfter = await partBodies(cleaned, format);
  const names = new Set([...bodiesBefore.keys(), ...bodiesAfter.keys()].filter((name) => !(unopened.has(name) && !bodiesAfter.has(name))));
  const unread = new Set([...names].filter((name) => bodiesBefore.get(name) == null || bodiesBefore.get(name) !== bodiesAfter.get(name)));
  if (unread.size === 0) return;
  const before = await finalText(original, format, unread);
  const after = await finalText(cleaned, format, unread);
  const differing = [...unread].filter((name) => !samePart(before.get(name), after.get(name)));
  if (differing.length === 0) return;
  const parts = differing.map((name) => `${name} (${before.get(name)?.chars ?? 0} characters, now ${after.get(name)?.chars ?? 0})`);
  throw new BadFileError(CHANGED, new Error(`${format}: the final text of ${parts.join(", ")} is not the original's`));
}

function samePart(a: PartText | undefined, b: PartText | undefined): boolean {
  // A part without text reads the same as no part at all.
  if ((a?.chars ?? 0) === 0 && (b?.chars ?? 0) === 0) return true;
  return a?.digest === b?.digest;
}

/** The final text of every text part of a ZIP-based document (of those named in `only`, if given), by lower-case part name. */
export async function finalText(file: string, format: TextFormat, only?: ReadonlySet<string>): Promise<Map<string, PartText>> {
  const texts = new Map<string, PartText>();
  await forEachTextPart(file, format, only, async (name, stream, count) => {
    texts.set(name, await partText(stream, name, textRules(format), count));
  });
  return texts;
}

/** A digest of every text part's bytes from its root element on (see bodyDigest), by lower-case part name. */
async function partBodies(file: string, format: TextFormat): Promise<Map<string, string | null>> {
  const bodies = new Map<string, string | null>();
  await forEachTextPart(file, format, undefined, async (name, stream, count) => {
    bodies.set(name, await bodyDigest(stream, count));
  });
  return bodies;
}

type PartVisit = (name: string, stream: NodeJS.ReadableStream, count: (n: number) => void) => Promise<void>;

/** Walks the text parts of a ZIP (those in `only`, if given) one at a time, within the office limits. */
async function forEachTextPart(file: string, format: TextFormat, only: ReadonlySet<string> | undefined, visit: PartVisit): Promise<void> {
  const zip = await openZip(file);
  try {
    let total = 0;
    let entries = 0;
    for await (const entry of zipEntries(zip)) {
      if (++entries > OFFICE_LIMITS.maxEntries) throw new TooComplexError("the archive holds too many entries");
      const name = entry.fileName.toLowerCase();
      if (name.endsWith("/") || !isTextPart(name, format) || (only != null && !only.has(name))) continue;
      if (entry.isEncrypted()) throw new BadFileError("The document is encrypted.");
      let bytes = 0;
      const count = (n: number): void => {
        bytes += n;
        total += n;
        if (bytes > OFFICE_LIMITS.maxXmlBytes || total > OFFICE_LIMITS.maxTotalBytes) throw new TooComplexError("the archive inflates to more data than allowed");
      };
      await visit(name, await openZipEntry(zip, entry), count);
    }
  } finally {
    zip.close();
  }
}

/** How far into a part its prolog may end for its body to be compared as bytes. */
const PROLOG_BYTES = 64 * 1024;

/** The digest of a part's bytes from its root element on, or null when its prolog is not plain (see bodyStart). */
async function bodyDigest(stream: NodeJS.ReadableStream, count: (n: number) => void): Promise<string | null> {
  const hash = crypto.createHash("sha256");
  /** The bytes read while the root's start is still to be found; null once it was. */
  let head: Buffer | null = Buffer.alloc(0);
  let plain = true;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    count(bytes.length);
    if (!plain) continue;
    if (head == null) {
      hash.update(bytes);
      continue;
    }
    head = Buffer.concat([head, bytes]);
    const start = bodyStart(head);
    if (start === "more" && head.length < PROLOG_BYTES) continue;
    // The encoding the text is read in, which the declaration before the root names, is part of what must be the same.
    if (typeof start === "number") hash.update(`${encodingOf(head)}\n`).update(head.subarray(start));
    else plain = false;
    head = null;
  }
  return plain && head == null ? hash.digest("hex") : null;
}

/**
 * Where the root element starts, past a prolog of nothing but a UTF-8 byte-order mark, the XML
 * declaration, processing instructions, comments and whitespace (XML 1.0, 2.8); "more" when the
 * bytes end before it; null for any other prolog (a DTD, UTF-16 text, text before the root).
 */
function bodyStart(b: Buffer): number | "more" | null {
  let at = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  for (;;) {
    while (at < b.length && (b[at] === 0x20 || b[at] === 0x09 || b[at] === 0x0d || b[at] === 0x0a)) at++;
    if (at + 4 > b.length) return "more";
    if (b[at] !== 0x3c) return null;
    const pi = b[at + 1] === 0x3f;
    const comment = b.toString("latin1", at, at + 4) === "<!--";
    if (!pi && !comment) return b[at + 1] === 0x21 ? null : at;
    const end = pi ? b.indexOf("?>", at + 2) : b.indexOf("-->", at + 4);
    if (end < 0) return "more";
    at = end + (pi ? 2 : 3);
  }
}

/**
 * The parts whose text a reader sees. OOXML: Word's body, headers, footers, footnotes and
 * endnotes, PowerPoint's slides and notes, Excel's shared strings and sheets, and the charts,
 * drawings and diagrams of all three (their comments live in parts of their own, left out).
 * OpenDocument: the content and the styles (headers and footers) of the document and of each
 * embedded object. EPUB: the (X)HTML chapters.
 */
function isTextPart(name: string, format: TextFormat): boolean {
  switch (format) {
    case "ooxml":
      return (
        /^word\/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$/.test(name) ||
        /^ppt\/(slides\/slide|notesslides\/notesslide)\d+\.xml$/.test(name) ||
        /^xl\/(sharedstrings|worksheets\/sheet\d+)\.xml$/.test(name) ||
        /^(word|ppt|xl)\/(charts\/chart|drawings\/drawing|diagrams\/data)\d+\.xml$/.test(name)
      );
    case "opendocument":
      return /(^|\/)(content|styles)\.xml$/.test(name);
    case "epub":
      return /\.x?html?$/.test(name);
  }
}

/** An open element as the text rules see it; `hidden` makes all it holds leave the final view. */
interface Open extends XmlElement {
  hidden: boolean;
}

interface TextRules {
  /** At an element's start: whether what it holds is hidden in the final view. */
  hides(el: Open, parents: readonly Open[]): boolean;
  /** Whether text directly inside `el` (the innermost of `open`) is text a reader sees. */
  shows(el: Open, open: readonly Open[]): boolean;
  /** EPUB chapters are often HTML more than XML: both copies are read alike, errors or not. */
  lenient: boolean;
}

const DRAWING: ReadonlySet<string> = new Set(["http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main"]);
const SHEET: ReadonlySet<string> = new Set(["http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main"]);
const ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
/** Impress's comments. */
const OOO = "http://openoffice.org/2009/office";
/** Dublin Core and ODF's meta vocabulary: who and when, never text. */
const META_URIS: ReadonlySet<string> = new Set(["http://purl.org/dc/elements/1.1/", "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"]);

function textRules(format: TextFormat): TextRules {
  switch (format) {
    case "ooxml": {
      // Markup a reader skips (markup-compatibility.ts) shows nothing; the cleaner drops it.
      const compatibility = new MarkupCompatibility();
      return { hides: (el, parents) => compatibility.open(el, parents) === "drop" || ooxmlHides(el, parents), shows: (el) => (el.local === "t" && (W.has(el.uri) || DRAWING.has(el.uri) || SHEET.has(el.uri))) || (el.local === "v" && SHEET.has(el.uri)), lenient: false };
    }
    case "opendocument":
      return {
        hides: (el) =>
          ((el.uri === ODF_OFFICE || el.uri === OOO) && el.local === "annotation") ||
          ((el.uri === ODF_TEXT || el.uri === ODF_TABLE) && el.local === "tracked-changes") ||
          META_URIS.has(el.uri),
        shows: () => true,
        lenient: false,
      };
    case "epub":
      return { hides: () => false, shows: (_el, open) => open.some((p) => p.local === "body"), lenient: true };
  }
}

/**
 * WordprocessingML's final view (ECMA-376 Part 1, 17.13.5): deleted and moved-away runs are gone,
 * and so are a row or a cell whose properties say it was deleted (those marks come first in the
 * row or cell, before any of its text). Deleted text is in `w:delText`, never shown anyway.
 */
function ooxmlHides(el: Open, parents: readonly Open[]): boolean {
  if (!W.has(el.uri)) return false;
  const parent = parents[parents.length - 1];
  const grand = parents[parents.length - 2];
  if (el.local === "del" || el.local === "moveFrom") {
    if (parent?.local === "trPr" && grand?.local === "tr") grand.hidden = true;
    // On a paragraph mark: the paragraph joins the next one, its words stay.
    return parent?.local !== "rPr" && parent?.local !== "trPr";
  }
  if (el.local === "cellDel" && parent?.local === "tcPr" && grand?.local === "tc") grand.hidden = true;
  return false;
}

async function partText(stream: NodeJS.ReadableStream, part: string, rules: TextRules, count: (n: number) => void): Promise<PartText> {
  const hash = crypto.createHash("sha256");
  let chars = 0;
  const stack: Open[] = [];
  const parser = new SaxesParser({ xmlns: true, position: false });
  if (rules.lenient) parser.on("error", () => undefined);
  parser.on("doctype", (doctype) => {
    if (!rules.lenient) refuseInternalSubset(doctype, part);
  });
  parser.on("opentag", (tag: SaxesTagNS) => {
    const el: Open = { name: tag.name, uri: tag.uri, local: tag.local, attrs: Object.values(tag.attributes), hidden: false };
    el.hidden = (stack[stack.length - 1]?.hidden ?? false) || rules.hides(el, stack);
    stack.push(el);
  });
  // saxes ends a self-closing element with a close tag too.
  parser.on("closetag", () => {
    stack.pop();
  });
  const onText = (t: string): void => {
    const el = stack[stack.length - 1];
    if (el == null || stack.some((o) => o.hidden) || !rules.shows(el, stack)) return;
    const seen = t.replace(/\s+/gu, "");
    chars += seen.length;
    hash.update(seen, "utf8");
  };
  parser.on("text", onText);
  parser.on("cdata", onText);

  let decoder: TextDecoder | null = null;
  /** The first bytes, held until the declaration in them can be read. */
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      throwIfTaskStopped();
      let bytes = chunk as Buffer;
      count(bytes.length);
      if (decoder == null) {
        head = Buffer.concat([head, bytes]);
        if (head.length < DECLARATION_BYTES) continue;
        decoder = new TextDecoder(encodingOf(head));
        bytes = head;
      }
      parser.write(decoder.decode(bytes, { stream: true }));
    }
    parser.write(decoder == null ? new TextDecoder(encodingOf(head)).decode(head) : decoder.decode());
    parser.close();
  } catch (err) {
    if (isSettledError(err)) throw err;
    throw new BadFileError("The document holds a damaged XML part.", new Error(`${part}: ${String(err)}`));
  }
  return { digest: hash.digest("hex"), chars };
}

/** How far into a part its XML declaration is looked for. */
const DECLARATION_BYTES = 512;

/**
 * The encoding a part's text is read in, as TextDecoder names it: UTF-16 by its byte-order mark,
 * else the one its XML declaration names (XML 1.0, 4.3.3: ISO-8859-1, Shift_JIS...), else UTF-8
 * (whose own mark TextDecoder drops). A name TextDecoder does not know, or a UTF-16 one in bytes
 * that spell the declaration in ASCII, is read as UTF-8, as the cleaners read it.
 */
function encodingOf(head: Buffer): string {
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  const from = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const declared = /^<\?xml\s[^?]*?\bencoding\s*=\s*(["'])([A-Za-z][\w.-]*)\1/.exec(head.toString("latin1", from, from + DECLARATION_BYTES))?.[2];
  if (declared == null) return "utf-8";
  try {
    const encoding = new TextDecoder(declared).encoding;
    return encoding.startsWith("utf-16") ? "utf-8" : encoding;
  } catch {
    return "utf-8";
  }
}
