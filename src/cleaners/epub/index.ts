import fsp from "node:fs/promises";
import path from "node:path";
import type { Document } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import { cleanEmbedded } from "../office/embedded.js";
import { checkSameFinalText } from "../office/final-text.js";
import { zipStructural } from "../office/structural.js";
import { parseXml, serializeXml } from "../office/xml.js";
import { extractDocument, type FileEntry } from "../office/zip-read.js";
import { writeZip, type OutEntry } from "../office/zip-write.js";
import type { CleanContext, Cleaner, FoundTag } from "../types.js";
import { bookIdentifiers, type Obfuscation, obfuscatedFiles, reobfuscate } from "./font-obfuscation.js";
import { takeLinkedRecords } from "./linked-records.js";
import { entryName, manifestItems } from "./manifest.js";
import { cleanNcx, cleanPackage, NEUTRAL_MODIFIED, newIdentifier } from "./package-metadata.js";

const MIMETYPE = "mimetype";
const CONTAINER = "META-INF/container.xml";
const CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container";

/**
 * Files that are metadata whole: calibre's bookmarks and its copy of the metadata, Apple's
 * iTunes metadata and artwork, signatures (the signer's certificate; they would not verify after
 * cleaning), and the EPUB 3 multiple-rendition metadata file.
 */
const DROPPED = /^(META-INF\/(calibre_bookmarks\.txt|signatures\.xml|metadata\.xml)|iTunesMetadata(-backup)?\.plist|iTunesArtwork|(.*\/)?metadata\.opf)$/i;

/**
 * What macOS's Finder adds when it zips a folder by hand, as books are often made: the `__MACOSX`
 * folder of AppleDouble files (`._NAME`: each file's extended attributes, such as the address it
 * was downloaded from, and resource fork) and `.DS_Store` files (a folder's file names and
 * window layout). No reader opens them.
 */
const FINDER_FILES = /^(__MACOSX\/|(.*\/)?(\._[^/]*|\.DS_Store)$)/;

/** Content copied as it is: the text of the book, its styles, scripts and fonts. */
const AS_IS = /\.(x?html?|css|js|smil|pls|txt|ttf|otf|woff2?)$/i;

/**
 * The files of META-INF a reading system reads (OCF 3.3, 3.5.2): the container, the encryption
 * list and the manifest. Any other file there is no part of the book (EPUB forbids publication
 * resources in META-INF) and goes unless a package lists it: a bookmarks file under another name,
 * an editor's notes.
 */
const OCF_FILES = /^META-INF\/(container|encryption|manifest)\.xml$/i;
const META_INF = /^META-INF\//i;

/**
 * A plain text file no package lists: no reader shows it (a book's text is XHTML, and a reading
 * system opens only what a manifest lists), and it is what notes and bookmarks are kept in, as
 * calibre's are, also under a damaged folder name.
 */
const UNLISTED_TEXT = /\.txt$/i;

const ENCRYPTION = "META-INF/encryption.xml";
const RIGHTS = /^META-INF\/rights\.xml$/i;
const PROTECTED = "The EPUB book is protected: its content or fonts are encrypted with keys tied to it (DRM or font obfuscation), so it cannot be changed without breaking it.";

/**
 * EPUB books (2 and 3): a ZIP whose package document (OPF) holds the book's metadata. The OPF's
 * metadata is cut down to what a reader needs (package-metadata.ts), the NCX table of contents
 * follows the new identifier and loses its author line, metadata files go (with the records the
 * metadata links to: ONIX, MARC...), pictures, sounds and videos go through their own cleaners,
 * and the chapters, styles and fonts are copied as they are, under the fixed dates and plain
 * entries of the office documents' ZIP writer.
 */
export const epubCleaner: Cleaner = {
  name: "epub",
  fileTypes: ["EPUB"],

  async clean(ctx: CleanContext): Promise<void> {
    const entries = await extractDocument(ctx.input, ctx.workDir);
    const files = new Map(entries.filter((e): e is FileEntry => !e.directory).map((e) => [e.name, e]));
    if (!files.has(MIMETYPE)) throw bad("it has no mimetype entry");
    if (entries.some((e) => RIGHTS.test(e.name))) throw new BadFileError(PROTECTED);
    const container = files.get(CONTAINER);
    if (container == null) throw bad("it has no META-INF/container.xml");
    const packages = new Map<string, Document>();
    for (const rootfile of packagePaths(await readXml(container))) {
      const opf = files.get(rootfile);
      if (opf == null) throw bad(`its package document ${rootfile} is missing`);
      packages.set(rootfile, await readXml(opf));
    }

    const identifier = newIdentifier();
    const obfuscated = await obfuscatedFonts(files);
    const oldIdentifiers = bookIdentifiers([...packages.values()][0]!);
    const records = new Set<string>();
    const ncxs = new Set<string>();
    const chapters = new Set<string>();
    const listed = new Set<string>(packages.keys());
    for (const [rootfile, doc] of packages) {
      for (const r of takeLinkedRecords(doc, rootfile, CONTAINER)) records.add(r);
      for (const href of manifestItems(doc).map((i) => i.getAttribute("href") ?? "")) listed.add(entryName(rootfile, href));
      cleanPackage(doc, identifier);
      const ncx = ncxPath(doc, rootfile);
      if (ncx != null) ncxs.add(ncx);
      for (const c of chapterPaths(doc, rootfile)) chapters.add(c);
    }
    // A record one rendition links to may be another's package, contents or chapter: it stays.
    for (const kept of [...packages.keys(), ...ncxs, ...chapters]) records.delete(kept);

    // The format requires `mimetype` first and stored, so that its type can be read at a fixed offset.
    const out: OutEntry[] = [{ name: MIMETYPE, source: Buffer.from("application/epub+zip", "ascii"), stored: true }];
    for (const e of entries) {
      const packageDoc = packages.get(e.name);
      if (e.name === MIMETYPE || FINDER_FILES.test(e.name) || records.has(e.name) || (DROPPED.test(e.name) && packageDoc == null)) continue;
      if (!e.directory && !listed.has(e.name) && ((META_INF.test(e.name) && !OCF_FILES.test(e.name)) || UNLISTED_TEXT.test(e.name))) continue;
      if (e.directory) out.push({ name: e.name, source: "directory" });
      else if (packageDoc != null) out.push({ name: e.name, source: serializeXml(packageDoc) });
      else if (obfuscated.has(e.name)) {
        const font = path.join(ctx.workDir, `font-${out.length}`);
        if (!(await reobfuscate(e.file, font, obfuscated.get(e.name)!, oldIdentifiers, identifier))) throw new BadFileError(PROTECTED);
        out.push({ name: e.name, source: { file: font } });
      } else if (ncxs.has(e.name)) {
        const doc = await readXml(e);
        cleanNcx(doc, identifier);
        out.push({ name: e.name, source: serializeXml(doc) });
      } else if (e.name === CONTAINER || e.name === ENCRYPTION || AS_IS.test(e.name) || chapters.has(e.name)) out.push({ name: e.name, source: { file: e.file } });
      else if (listed.has(e.name)) out.push({ name: e.name, source: { file: await cleanEmbedded(ctx, e) } });
      else {
        const cleaned = await cleanedIfHandled(ctx, e);
        if (cleaned != null) out.push({ name: e.name, source: { file: cleaned } });
      }
    }
    await writeZip(ctx.output, out);
    await checkSameFinalText(ctx.input, ctx.output, "epub");
  },

  isStructural: (t) => zipStructural(MIMETYPE)(t) || isPackageStructure(t),
};

/**
 * What ExifTool reads from the cleaned OPF (group XML): the book's new identifier, its title and
 * language, the fixed modification date, the cover pointer, and the manifest, spine and guide
 * (the list of files and their reading order). Also EPUB 3's collections (an index, a preview, a
 * dictionary's parts: `<collection role>` with links to files of the book, nested), by their roles
 * and links only: a collection's own metadata is not on this list.
 */
/** ExifTool's names for a collection's role and its links' targets, types and relations, at any depth. */
const COLLECTION_FIELD = /^(Collection)+(Role|Link(Href|Media-type|Rel))$/;

function isPackageStructure(t: FoundTag): boolean {
  if (t.group !== "XML") return false;
  const v = typeof t.value === "string" ? t.value : String(t.value);
  if (/^(Manifest|Spine|Guide)/.test(t.tag)) return true;
  if (COLLECTION_FIELD.test(t.tag)) return true;
  switch (t.tag) {
    case "Title":
    case "Language":
    case "IdentifierId":
      return true;
    case "Identifier":
      return /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v);
    case "MetaProperty":
      return v === "dcterms:modified";
    case "Meta":
      return v === NEUTRAL_MODIFIED.replace(/-/g, ":").replace("T", " ");
    case "MetaName":
      return v === "cover";
    case "MetaContent":
      // The id of the cover's manifest item: a name inside the book.
      return true;
    default:
      return false;
  }
}

/**
 * The book's obfuscated fonts, which the copy obfuscates again under its new identifier. Whatever
 * else `META-INF/encryption.xml` lists (encryption proper, a file it names that the book lacks)
 * makes the book protected.
 */
async function obfuscatedFonts(files: ReadonlyMap<string, FileEntry>): Promise<Map<string, Obfuscation>> {
  const encryption = files.get(ENCRYPTION);
  if (encryption == null) return new Map();
  const found = obfuscatedFiles(await readXml(encryption));
  if (found == null || [...found.keys()].some((name) => !files.has(name))) throw new BadFileError(PROTECTED);
  return found;
}

/**
 * A file no package lists, cleaned by its own cleaner; null when none handles its type. It goes
 * then, where a listed one would make the book refused: no reader opens it (a maker's metadata
 * file under a damaged name, an editor's notes), so the book is no less whole without it.
 */
async function cleanedIfHandled(ctx: CleanContext, entry: FileEntry): Promise<string | null> {
  if (entry.size === 0) return entry.file;
  const out = `${entry.file}.clean`;
  return (await ctx.cleanNested(entry.file, out)) ? out : null;
}

/** Parses an XML file of the book (EPUB 2's public DTDs are dropped there: office/doctype.ts). */
async function readXml(entry: FileEntry): Promise<Document> {
  return parseXml(await fsp.readFile(entry.file), entry.name);
}

/**
 * The package documents the container names: the book's, then those of its other renditions
 * (EPUB Multiple-Rendition Publications 1.1: a fixed-layout version, one for wide screens), each
 * a package whose metadata is cleaned alike. Rootfiles of other types (a PDF rendition) are files
 * of the book like any other.
 */
function packagePaths(container: Document): string[] {
  const rootfiles = Array.from(container.getElementsByTagNameNS(CONTAINER_NS, "rootfile"));
  const packages = rootfiles.filter((r) => r.getAttribute("media-type") === "application/oebps-package+xml");
  const paths = (packages.length > 0 ? packages : rootfiles.slice(0, 1)).map((r) => r.getAttribute("full-path") ?? "");
  if (paths.length === 0 || paths.includes("")) throw bad("its container names no package document");
  return [...new Set(paths)];
}

/** The NCX's entry name: the manifest item the spine's `toc` attribute names. */
function ncxPath(opf: Document, rootfile: string): string | null {
  const ncx = manifestItems(opf).find((i) => i.getAttribute("media-type") === "application/x-dtbncx+xml");
  const href = ncx?.getAttribute("href");
  return href == null ? null : entryName(rootfile, href);
}

/**
 * The book's text and layout as its manifest lists them, copied as they are whatever the names end
 * with (older books name chapters `.xml`): XHTML documents, EPUB 2's DTBook ones, a dictionary's
 * search key maps (its headwords and the entries they lead to), media overlays (which sentence the
 * narration reads when), EPUB 2's page map (the print edition's page numbers) and Adobe's page
 * templates (a layout, as a style sheet is).
 */
const TEXT_TYPES: ReadonlySet<string> = new Set([
  "application/xhtml+xml", "application/x-dtbook+xml", "application/vnd.epub.search-key-map+xml", "application/smil+xml",
  "application/oebps-page-map+xml", "application/vnd.adobe-page-template+xml",
]);

/** The entry names of the book's text (`TEXT_TYPES`). */
function chapterPaths(opf: Document, rootfile: string): ReadonlySet<string> {
  const hrefs = manifestItems(opf)
    .filter((i) => TEXT_TYPES.has(i.getAttribute("media-type") ?? ""))
    .map((i) => i.getAttribute("href"))
    .filter((h): h is string => h != null && h !== "");
  return new Set(hrefs.map((h) => entryName(rootfile, h)));
}

function bad(why: string): BadFileError {
  return new BadFileError(`The EPUB book could not be read: ${why}.`);
}
