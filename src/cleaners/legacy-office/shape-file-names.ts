import { bareName } from "../connection-strings.js";

/** [MS-ODRAW] 2.2.9 OfficeArtFOPT, and the secondary and tertiary property tables (2.2.10, 2.2.11). */
const PROPERTY_TABLES = [0xf00b, 0xf121, 0xf122].map((type) => Buffer.from([type & 0xff, type >> 8]));
/**
 * The properties that name the file a picture or fill came from (2.3.23.12 pibName, 2.3.23.13
 * pibPrintName, 2.3.7.19 fillBlipName, 2.3.8.23 lineFillBlipName): Office writes the path the
 * picture was inserted from (`C:\Documents and Settings\NAME\My Documents\My Pictures\...`).
 */
const FILE_NAMES: ReadonlySet<number> = new Set([0x0105, 0x0106, 0x0187, 0x01c7]);
/**
 * A shape's alternative text (2.3.4.32 wzDescription), which Word fills with its picture's path
 * when it inserts one from a file (`A:\cidades.jpg`): cut only when it is such a path.
 */
const DESCRIPTION = 0x0381;
const COMPLEX = 0x8000;
const PROPERTY_ID = 0x3fff;
const MAX_PROPERTIES = 1024;

/**
 * The drawings' shapes in a stream of an Office 97-2003 file (a Word table stream, an Excel sheet's
 * drawing records, a PowerPoint document) keep only the bare file name of the pictures they were
 * inserted from: each property table whose length adds up exactly (the properties, then their
 * complex data) has the folders of those names cut, in place, the name moved to the front and the
 * rest zeros, so nothing moves. A web address (a linked picture's) stays; a personal place on the
 * web (a OneDrive, a file URL) goes as a path does.
 */
export function bareShapeFileNames(b: Buffer): void {
  for (const type of PROPERTY_TABLES) for (let at = b.indexOf(type); at >= 0; at = b.indexOf(type, at + 1)) shortenTable(b, at - 2);
}

/** The table whose record header starts at `start`, if it is one, with its names cut. */
function shortenTable(b: Buffer, start: number): void {
  if (start < 0 || start + 8 > b.length || (b[start]! & 0x0f) !== 3) return;
  const count = b.readUInt16LE(start) >> 4;
  const length = b.readUInt32LE(start + 4);
  const end = start + 8 + length;
  if (count === 0 || count > MAX_PROPERTIES || count * 6 > length || end > b.length) return;
  let complex = start + 8 + count * 6;
  const names: Array<{ at: number; length: number; description: boolean }> = [];
  for (let i = 0; i < count && complex <= end; i++) {
    const id = b.readUInt16LE(start + 8 + i * 6);
    const op = b.readUInt32LE(start + 10 + i * 6);
    if ((id & COMPLEX) === 0) continue;
    if (FILE_NAMES.has(id & PROPERTY_ID) || (id & PROPERTY_ID) === DESCRIPTION) names.push({ at: complex, length: op, description: (id & PROPERTY_ID) === DESCRIPTION });
    complex += op;
  }
  if (complex !== end) return;
  for (const n of names) bareInPlace(b.subarray(n.at, n.at + n.length), n.description);
}

/** A UTF-16 name (zero-terminated) cut to its bare file name; a description only when it is a local path. */
function bareInPlace(field: Buffer, description: boolean): void {
  const text = field.toString("utf16le", 0, field.length - (field.length % 2));
  const nul = text.indexOf("\0");
  const name = nul < 0 ? text : text.slice(0, nul);
  const bare = description || name.includes("://") ? bareName(name) : name.replace(/^.*[\\/]/, "");
  if (bare === name) return;
  field.fill(0);
  field.write(bare, 0, "utf16le");
}
