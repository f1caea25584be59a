import { SaxesParser, type SaxesTagNS } from "saxes";
import type yauzl from "yauzl";
import { entryName } from "../epub/manifest.js";
import { openZip, openZipEntry, zipEntries } from "../zip-file.js";
import type { ProofFailure } from "./shared.js";

const NCX = "http://www.daisy.org/z3986/2005/ncx/";
const OPF = "http://www.idpf.org/2007/opf";
const CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container";
const CONTAINER = "META-INF/container.xml";
const NCX_TYPE = "application/x-dtbncx+xml";

/** The NCX elements a cleaned table of contents may hold (NCX 2005-1, 8.4): all but `docAuthor`. */
const ELEMENTS: ReadonlySet<string> = new Set([
  ...["ncx", "head", "meta", "smilCustomTest", "docTitle", "text", "audio", "img"],
  ...["navMap", "navInfo", "navLabel", "navPoint", "content", "pageList", "pageTarget", "navList", "navTarget"],
]);
/** The head's elements, empty ones, found nowhere else. */
const HEAD: ReadonlySet<string> = new Set(["meta", "smilCustomTest"]);
const META_ATTRIBUTES: ReadonlySet<string> = new Set(["name", "content", "xml:lang", "dir"]);
/** The one meta holding text: the book's new identifier. The others are counts. */
const UID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNTS: ReadonlySet<string> = new Set(["dtb:depth", "dtb:totalPageCount", "dtb:maxPageNumber"]);
/** A part larger than the cleaner parses (office/zip-read.ts) is not walked. */
const MAX_PART = 100 * 1024 * 1024;

/**
 * Proves a cleaned EPUB's NCX tables of contents hold no metadata, walking them with code of its
 * own: ExifTool reads a book's package document only, so without this walk nothing would look at
 * them (a bit flipped in an NCX's namespace once had its author, uid and generator come back
 * whole). The tables are the entries named `.ncx` and those the copy's package documents list
 * as NCX. Each must be an `ncx` of the NCX namespace holding only NCX elements, no `docAuthor`,
 * no comment or processing instruction, and a head of empty metas naming the new identifier
 * and counts. Null when the proof holds, else what broke it.
 */
export async function proveEpub(file: string): Promise<ProofFailure | null> {
  const zip = await openZip(file);
  try {
    const entries = new Map<string, yauzl.Entry>();
    for await (const e of zipEntries(zip)) entries.set(e.fileName, e);
    const tables = new Set([...entries.keys()].filter((n) => /\.ncx$/i.test(n)));
    for (const opf of await packagePaths(zip, entries)) for (const n of await listedTables(zip, entries, opf)) tables.add(n);
    for (const name of tables) {
      const entry = entries.get(name);
      const failure = entry == null ? null : await walkPart(zip, entry, ncxWalker());
      if (failure != null) return `${name}: ${failure}`;
    }
    return null;
  } finally {
    zip.close();
  }
}

/** What a walk of one part is told, in document order; each returns what is wrong, if anything. */
interface Walker {
  open(tag: SaxesTagNS, parents: readonly SaxesTagNS[]): string | null;
  text(text: string, parents: readonly SaxesTagNS[]): string | null;
  /** Comments, processing instructions, a DTD. */
  other(what: string): string | null;
}

async function packagePaths(zip: yauzl.ZipFile, entries: ReadonlyMap<string, yauzl.Entry>): Promise<string[]> {
  const container = entries.get(CONTAINER);
  if (container == null) return [];
  const paths: string[] = [];
  await walkPart(zip, container, {
    open: (tag) => {
      const full = tag.attributes["full-path"]?.value;
      if (tag.uri === CONTAINER_NS && tag.local === "rootfile" && full != null) paths.push(full);
      return null;
    },
    text: () => null,
    other: () => null,
  });
  return paths;
}

async function listedTables(zip: yauzl.ZipFile, entries: ReadonlyMap<string, yauzl.Entry>, opf: string): Promise<string[]> {
  const entry = entries.get(opf);
  if (entry == null) return [];
  const names: string[] = [];
  await walkPart(zip, entry, {
    open: (tag) => {
      const href = tag.attributes["href"]?.value;
      if (tag.uri === OPF && tag.local === "item" && tag.attributes["media-type"]?.value === NCX_TYPE && href != null) names.push(entryName(opf, href));
      return null;
    },
    text: () => null,
    other: () => null,
  });
  return names;
}

function ncxWalker(): Walker {
  return {
    open: (tag, parents) => {
      const parent = parents[parents.length - 1];
      if (parent == null) return tag.uri === NCX && tag.local === "ncx" ? null : `a root ${tag.name} in ${tag.uri || "no namespace"}`;
      if (tag.uri !== NCX || !ELEMENTS.has(tag.local)) return `an element ${tag.name} in ${tag.uri || "no namespace"}`;
      if (HEAD.has(parent.local)) return `an element ${tag.name} inside ${parent.name}`;
      if ((parent.local === "head") !== HEAD.has(tag.local)) return `an element ${tag.name} inside ${parent.name}`;
      return tag.local === "meta" ? metaFailure(tag) : null;
    },
    text: (text, parents) => {
      const inner = parents[parents.length - 1];
      const headOnly = inner != null && (inner.local === "head" || HEAD.has(inner.local));
      return headOnly && text.trim() !== "" ? `text inside ${inner.name}` : null;
    },
    other: (what) => what,
  };
}

function metaFailure(tag: SaxesTagNS): string | null {
  const extra = Object.values(tag.attributes).find((a) => a.prefix !== "xmlns" && a.name !== "xmlns" && !META_ATTRIBUTES.has(a.name));
  if (extra != null) return `a meta attribute ${extra.name}`;
  const name = tag.attributes["name"]?.value ?? "";
  const content = tag.attributes["content"]?.value ?? "";
  if (name === "dtb:uid") return UID.test(content) ? null : "a dtb:uid other than a new identifier";
  if (COUNTS.has(name)) return /^-?\d+$/.test(content) ? null : `a ${name} other than a number`;
  return `a meta named ${name}`;
}

/**
 * Streams one part of the ZIP through a namespace-aware parser; the first thing the walker finds
 * wrong, or the part not being well-formed XML, ends the walk as its failure.
 */
async function walkPart(zip: yauzl.ZipFile, entry: yauzl.Entry, walker: Walker): Promise<string | null> {
  if (entry.uncompressedSize > MAX_PART) return "too large to walk";
  const parser = new SaxesParser({ xmlns: true, position: false });
  const open: SaxesTagNS[] = [];
  let failure: string | null = null;
  const note = (found: string | null): void => {
    failure ??= found;
  };
  parser.on("opentag", (tag) => {
    note(walker.open(tag, open));
    open.push(tag);
  });
  parser.on("closetag", () => open.pop());
  parser.on("text", (t) => note(walker.text(t, open)));
  parser.on("cdata", (t) => note(walker.text(t, open)));
  parser.on("comment", () => note(walker.other("a comment")));
  parser.on("processinginstruction", (pi) => note(walker.other(`a processing instruction ${pi.target}`)));
  parser.on("doctype", () => note(walker.other("a DTD")));
  parser.on("error", (err) => note(`not well-formed: ${err.message}`));
  let decoder: TextDecoder | null = null;
  for await (const chunk of await openZipEntry(zip, entry)) {
    decoder ??= new TextDecoder(encodingOf(chunk as Buffer));
    parser.write(decoder.decode(chunk as Buffer, { stream: true }));
    if (failure != null) return failure;
  }
  parser.write(decoder?.decode() ?? "").close();
  return failure;
}

/**
 * A part's encoding by its byte-order mark: the cleaner writes UTF-8, but copies the container
 * as it came, and XML may be UTF-16 (XML 1.0, 4.3.3).
 */
function encodingOf(start: Buffer): string {
  if (start[0] === 0xff && start[1] === 0xfe) return "utf-16le";
  return start[0] === 0xfe && start[1] === 0xff ? "utf-16be" : "utf-8";
}
