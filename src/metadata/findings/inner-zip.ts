import type yauzl from "yauzl";
import { describeName } from "../../cleaners/archive/member-name.js";
import { openZip, openZipEntry, zipEntries } from "../../cleaners/zip-file.js";
import { type Copied, copyCounted } from "./inner-copy.js";
import type { InnerFile, InnerSource } from "./inner-types.js";
import { OFFICE_TYPES } from "./office.js";

/** Entries listed from a central directory; the rest are counted, not looked at. */
const MAX_LISTED = 10_000;

/**
 * A document's own parts (XML, relationships, text, styles, scripts of an EPUB): what they give
 * away is read from the document itself. Its pictures, objects and thumbnail are files of their own.
 */
const DOCUMENT_PART = /(\.(xml|rels|rdf|xhtml|html?|css|opf|ncx|js|txt)$|^mimetype$)/i;

/** ZIP-based files whose members are looked into: office documents and EPUB (their media), plain ZIP archives (every member). */
export function zipSourceFor(fileType: string): InnerSource | null {
  if (fileType === "ZIP") return (file, _scratch, visit) => eachMember(file, () => true, visit);
  if (OFFICE_TYPES.has(fileType)) return (file, _scratch, visit) => eachMember(file, (name) => !DOCUMENT_PART.test(name.replace(/^.*\//, "")), visit);
  return null;
}

async function eachMember(file: string, wanted: (name: string) => boolean, visit: (inner: InnerFile) => Promise<void>): Promise<number> {
  const zip = await openZip(file).catch(() => null);
  if (zip == null) return 0;
  try {
    const entries = await list(zip);
    if (entries == null) return 0;
    for (const entry of entries) {
      if (entry.fileName.endsWith("/") || entry.uncompressedSize === 0 || !wanted(entry.fileName)) continue;
      await visit({
        name: describeName(entry.fileName),
        claimedSize: entry.uncompressedSize,
        copyTo: (dest, maxBytes) => copyMember(zip, entry, dest, maxBytes),
      });
    }
    return Math.max(0, zip.entryCount - entries.length);
  } finally {
    zip.close();
  }
}

/** The central directory's first MAX_LISTED entries, or null when it cannot be read. */
async function list(zip: yauzl.ZipFile): Promise<yauzl.Entry[] | null> {
  const entries: yauzl.Entry[] = [];
  try {
    for await (const entry of zipEntries(zip)) {
      entries.push(entry);
      if (entries.length >= MAX_LISTED) break;
    }
  } catch {
    return null;
  }
  return entries;
}

/**
 * A member's bytes into `dest`. One that is encrypted, or whose header cannot even be read (a
 * damaged archive: openZipEntry's refusal is the cleaners'), is a file not looked into, as one whose
 * data fails midway: the look never makes the extraction fail.
 */
async function copyMember(zip: yauzl.ZipFile, entry: yauzl.Entry, dest: string, maxBytes: number): Promise<Copied> {
  const stream = entry.isEncrypted() ? null : await openZipEntry(zip, entry).catch(() => null);
  return stream == null ? { written: 0, complete: false } : copyCounted(async () => stream, dest, maxBytes);
}
