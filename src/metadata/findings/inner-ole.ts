import CFB from "cfb";
import { describeName } from "../../cleaners/archive/member-name.js";
import { TooComplexError } from "../../cleaners/errors.js";
import { objectStorage, presentationObjects } from "../../cleaners/legacy-office/powerpoint-objects.js";
import { isContentsFile } from "../../cleaners/legacy-office/ole-object.js";
import { parsePackage } from "../../cleaners/legacy-office/ole-package.js";
import { sameName } from "../../cleaners/legacy-office/stream-names.js";

/** One embedded (OLE) object's file, as it would be saved on its own. */
export interface OleObject {
  /** What the document calls it: the packaged file's name, when it has one. */
  label: string | null;
  /** Its size, or close to it (a storage's streams, before they are made a file). */
  size: number;
  /** Its bytes, made when asked (a document of thousands of objects is not copied whole); null when they cannot be had (damaged). */
  bytes(): Buffer | null;
}

/** Streams that make the storage holding them a whole Word, Excel or PowerPoint 97-2003 document. */
const DOCUMENT_STREAM = /^(WordDocument|Workbook|Book|PowerPoint Document)$/i;
const PACKAGE = "Package";
const OLE10_NATIVE = "\x01Ole10Native";
const CONTENTS = "CONTENTS";

/**
 * The embedded objects of a compound file ([MS-OLEDS]), each a file of another program with its
 * own properties, which ExifTool does not read apart (it merges an embedded document's
 * properties into the outer one's, as if they were the outer document's) or not at all:
 * - a storage below the root that holds a Word, Excel or PowerPoint document (Word's
 *   `ObjectPool/_N`, Excel's `MBD...`), rebuilt as a compound file of its own;
 * - a `Package` stream: an Office 2007+ document (DOCX, XLSX, PPTX) embedded whole;
 * - a `CONTENTS` stream holding a PDF: Acrobat's object;
 * - an `\x01Ole10Native` stream: a file packaged by Object Packager (any file: a photo, a PDF),
 *   or an OLE 1 object's native data.
 * Objects inside an object are its own (read when it is looked into). `skipped` holds the paths of
 * the storages given as objects, whose streams are no longer the outer document's.
 */
export function oleObjects(doc: CFB.CFB$Container): { objects: OleObject[]; skipped: (fullPath: string) => boolean } {
  const root = doc.FullPaths[0] ?? "";
  const storages = new Set<string>();
  for (const [i, p] of doc.FullPaths.entries()) {
    const e = doc.FileIndex[i];
    if (e?.type !== 2 || !DOCUMENT_STREAM.test(e.name)) continue;
    const parent = p.slice(0, p.length - e.name.length);
    if (parent !== root && parent.startsWith(root)) storages.add(parent);
  }
  // The topmost only: a document embedded in an embedded document is the inner one's object.
  const inside = (fullPath: string): string | undefined => ancestors(fullPath, root).find((a) => storages.has(a));
  const objects: OleObject[] = [];
  for (const [i, p] of doc.FullPaths.entries()) {
    const e = doc.FileIndex[i];
    if (e == null) continue;
    if (e.type === 1 && storages.has(p) && inside(p) == null) objects.push(storageObject(doc, p));
    if (e.type !== 2 || e.content == null || inside(p) != null) continue;
    if (sameName(e.name, PACKAGE) || (sameName(e.name, CONTENTS) && isContentsFile(e.content))) {
      const content = e.content;
      objects.push({ label: null, size: content.length, bytes: () => Buffer.from(content) });
    }
    if (sameName(e.name, OLE10_NATIVE)) {
      const content = Buffer.from(e.content);
      const size = content.length >= 4 ? content.readUInt32LE(0) : 0;
      if (size > 0 && size <= content.length - 4) objects.push(packagedFile(content.subarray(4, 4 + size)));
    }
  }
  return { objects, skipped: (fullPath) => inside(fullPath) != null };
}

/** The storages `fullPath` lies in, below the root: "R/a/b/c" -> "R/a/", "R/a/b/". */
function ancestors(fullPath: string, root: string): string[] {
  const out: string[] = [];
  for (let at = fullPath.indexOf("/", root.length); at >= 0 && at < fullPath.length - 1; at = fullPath.indexOf("/", at + 1)) out.push(fullPath.slice(0, at + 1));
  return out;
}

/** The streams under `storage` (a full path ending in "/"), as a compound file of their own. */
function storageObject(doc: CFB.CFB$Container, storage: string): OleObject {
  const streams = doc.FullPaths.flatMap((p, i) => {
    const e = doc.FileIndex[i];
    return e?.type === 2 && e.content != null && p.startsWith(storage) ? [{ name: `/${p.slice(storage.length)}`, content: e.content }] : [];
  });
  return {
    label: null,
    size: streams.reduce((n, s) => n + s.content.length, 0),
    bytes: () => {
      const out = CFB.utils.cfb_new();
      for (const s of streams) CFB.utils.cfb_add(out, s.name, Buffer.from(s.content));
      return CFB.write(out, { type: "buffer", fileType: "cfb" }) as Buffer;
    },
  };
}

/** Packager data's file, by its label's name; data of another shape is an OLE 1 object's own, given whole. */
export function packagedFile(native: Buffer): OleObject {
  const packaged = parsePackage(native);
  if (packaged == null) return { label: null, size: native.length, bytes: () => native };
  const data = native.subarray(packaged.at, packaged.at + packaged.length);
  const name = packaged.label.replace(/^.*[\\/]/, "");
  return { label: name === "" ? null : describeName(name), size: data.length, bytes: () => data };
}

/**
 * A PowerPoint 97-2003 presentation's embedded objects: their storages are kept inside the
 * `PowerPoint Document` stream (powerpoint-objects.ts), where no other reader looks.
 */
export function pptObjects(stream: Buffer): OleObject[] {
  return presentationObjects(stream).map((o) => ({
    label: null,
    size: o.compressed ? stream.readUInt32LE(o.at) : o.length,
    bytes: () => {
      try {
        return objectStorage(stream, o);
      } catch (err) {
        if (err instanceof TooComplexError) return null;
        throw err;
      }
    },
  }));
}
