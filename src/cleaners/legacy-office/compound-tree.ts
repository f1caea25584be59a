import type CFB from "cfb";

/** An entry as the library reads it, with its [MS-CFB] 2.6.1 tree links: left and right siblings, child (-1: none). */
type Linked = CFB.CFB$Entry & { L?: number; R?: number; C?: number };

/**
 * Why the directory of a compound file just read (`FileIndex` in directory order, as the library
 * gives it) is not one tree hanging from the root storage ([MS-CFB] 2.6.4), or null: a link to an
 * entry the directory does not hold, or an entry no link reaches. A link to a slot the directory
 * holds unused is no link, as Word, LibreOffice and catdoc read it (Apache POI's 53446.doc, from
 * 1999, has one): a free slot names no stream, so nothing hangs from it. The library
 * names an entry it cannot place by itself, outside the root storage: the cleaner took such a
 * stream for an embedded document and cleaned the file within itself until the stack ran out
 * (a 422 after 11 s), or wrote the copy without it.
 */
export function brokenTree(doc: CFB.CFB$Container): string | null {
  const entries = doc.FileIndex as Linked[];
  const reached = new Set<number>([0]);
  const pending = [entries[0]?.C ?? -1];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (id === -1 || reached.has(id)) continue;
    const entry = entries[id];
    if (entry == null) return `a link names entry ${id >>> 0}, which its directory does not hold`;
    if (entry.type === 0) continue;
    reached.add(id);
    pending.push(entry.L ?? -1, entry.R ?? -1, entry.C ?? -1);
  }
  const apart = entries.findIndex((e, i) => e.type !== 0 && !reached.has(i));
  return apart < 0 ? null : `its entry ${JSON.stringify(entries[apart]!.name)} hangs from no storage`;
}
