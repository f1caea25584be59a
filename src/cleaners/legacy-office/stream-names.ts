import type CFB from "cfb";
import { fatOf, sectorOf } from "./compound-damage.js";
import { ENTRY_SIZE, MAX_SECTOR, NAME_LENGTH, OBJECT_TYPE } from "./compound-directory.js";

/** [MS-CFB] 2.2: the header field that gives the directory's first sector. */
const FIRST_DIRECTORY_SECTOR = 0x30;
const STREAM = 2;

/**
 * Whether two names of a compound file's entries are the same name: [MS-CFB] 2.6.4 compares them
 * in upper case, and so does Word, which opens a document whose streams are named "worddocument"
 * or "WORDDOCUMENT" (Tika's casing__simple_lower_case.doc, casing__simple_upper_case.doc).
 */
export function sameName(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

/**
 * The full path of an entry (a storage or a stream) that another entry of the same storage also
 * has, compared without case, or null. Such a file breaks [MS-CFB]'s rule of one name per entry
 * in a storage, and readers disagree on which of the two they open: one could hold what the
 * other hides. Unused directory entries (type 0, nameless) are not entries.
 */
export function nameGivenTwice(doc: CFB.CFB$Container): string | null {
  const seen = new Set<string>();
  for (const [i, p] of doc.FullPaths.entries()) {
    if (doc.FileIndex[i]?.type === 0) continue;
    const key = p.toUpperCase();
    if (seen.has(key)) return p;
    seen.add(key);
  }
  return null;
}

/**
 * The name of an entry that holds a "/", or null. [MS-CFB] 2.6.1 forbids it, and the library the
 * cleaner writes with makes paths of names: such a root sends its rebuild of the tree looping
 * forever, such a stream is taken for one inside a storage that does not exist.
 */
export function nameWithSlash(doc: CFB.CFB$Container): string | null {
  return doc.FileIndex.find((e) => e.name.includes("/"))?.name ?? null;
}

/**
 * Renames in place, in a compound file's bytes, the streams whose names are one of `names` but
 * for their case, to `names`' spelling: for readers that look a stream up by its exact name
 * (word-extractor). A change of case keeps the directory's tree in order, as it compares names
 * in upper case. Directory sectors past the file's end are left alone.
 */
export function nameStreamsAs(file: Buffer, names: readonly string[]): void {
  const table = fatOf(file);
  if (table == null) return;
  const { size, fat } = table;
  const spelling = new Map(names.map((n) => [n.toUpperCase(), n]));
  const seen = new Set<number>();
  for (let s = file.readUInt32LE(FIRST_DIRECTORY_SECTOR); s < MAX_SECTOR && !seen.has(s); s = s < fat.length ? fat[s]! : MAX_SECTOR) {
    seen.add(s);
    const sector = sectorOf(file, size, s);
    if (sector == null) return;
    for (let e = 0; e + ENTRY_SIZE <= sector.length; e += ENTRY_SIZE) {
      const length = sector.readUInt16LE(e + NAME_LENGTH);
      if (sector[e + OBJECT_TYPE] !== STREAM || length < 2 || length > NAME_LENGTH) continue;
      const name = sector.toString("utf16le", e, e + length - 2);
      const wanted = spelling.get(name.toUpperCase());
      if (wanted != null && wanted !== name && wanted.length === name.length) sector.write(wanted, e, "utf16le");
    }
  }
}
