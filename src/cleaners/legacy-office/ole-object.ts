import type CFB from "cfb";
import { LIBRARY_STREAM } from "../../metadata/compound-types.js";
import { BadFileError } from "../errors.js";
import { isBitmapFile, oleNativeData, parsePackage } from "./ole-package.js";
import { sameName } from "./stream-names.js";

/**
 * The streams an embedded object's own storage may hold ([MS-OLEDS]) that the cleaner knows:
 * - structure: the OLE stream (flags, and an item moniker naming the object's place in its
 *   document, "Sheet1!Object 1"; not a linked object's, which names the linked file's folders),
 *   `\x01CompObj` (the program's class and name), Word's `\x03ObjInfo` (6 bytes of flags), kept
 *   as they are;
 * - what the document shows of it: the presentation caches (`\x02OlePresNNN`, `\x03EPRINT`), pictures
 *   and drawings cleaned in place as every stream's;
 * - its content: a packaged file (`\x01Ole10Native` that reads as a package), a Paintbrush picture (`\x01Ole10Native`
 *   holding a BMP file), an Office 2007+ document (`Package`), a PDF
 *   or an RTF document (`CONTENTS`), each cleaned by its own cleaner (embedded-files.ts), and Equation Editor 3.0's
 *   formula (`Equation Native`: the formula's characters, fonts and sizes, no names or dates);
 * - an OLE 1 object's name within its link's source (`\x01Ole10ItemName`).
 * An Office 97-2003 document embedded as an object is its own program's file (DOC, XLS, PPT).
 */
const KNOWN_STREAM = /^(\x01Ole|\x01CompObj|\x03ObjInfo|\x02OlePres\d{3}|\x03EPRINT|\x01Ole10Native|\x01Ole10ItemName|Package|CONTENTS|Equation Native)$/i;

/** Storages that hold one embedded object each: Word's `ObjectPool/_N`, Excel's `MBDxxxxxxxx` ([MS-DOC] 2.2.2, [MS-XLS] 2.1.7). */
const OBJECT_STORAGE = /^(ObjectPool\/[^/]+|MBD[0-9A-F]{8})\/$/i;

/**
 * Refuses an embedded object that holds a stream the cleaner does not know, as a file of a
 * program no cleaner handles, naming the program as the object's CompObj stream does ("Microsoft
 * Visio Drawing"): its own streams may hold its author, a linked file's folders, a packaged file
 * whose paths could not be taken out. The objects are the whole file for an `OLE object`, each
 * object storage of a Word or Excel 97-2003 document otherwise, whose streams the rest of the
 * cleaning would copy as they are. Streams `ours` says no to (inside an embedded document its own
 * cleaner cleaned) are not looked at.
 */
export function refuseUnknownObjects(doc: CFB.CFB$Container, wholeFile: boolean, ours: (index: number) => boolean): void {
  const root = doc.FullPaths[0] ?? "";
  const storages = wholeFile ? [root] : doc.FullPaths.filter((p, i) => doc.FileIndex[i]?.type === 1 && ours(i) && OBJECT_STORAGE.test(p.slice(root.length)));
  for (const storage of storages) {
    const unknown = doc.FullPaths.findIndex((p, i) => {
      const e = doc.FileIndex[i];
      return e?.type === 2 && ours(i) && p.startsWith(storage) && !knownStream(p.slice(storage.length), e.content);
    });
    if (unknown < 0) continue;
    throw refusedObject(doc, storage, `the object's stream ${JSON.stringify(doc.FullPaths[unknown])} is not one the cleaner knows`);
  }
}

/** The refusal of the object in `storage` (a full path ending in "/"), naming its program; `why` is logged. */
export function refusedObject(doc: CFB.CFB$Container, storage: string, why: string): BadFileError {
  const program = programName(doc, storage) ?? "of an unknown program";
  return new BadFileError(`The file holds an embedded object (${program}) that this service cannot clean.`, new Error(`legacy-office: ${why}`));
}

/** `name`: a stream's path inside its object's storage. */
function knownStream(name: string, content: CFB.CFB$Blob | undefined): boolean {
  if (sameName(name, LIBRARY_STREAM)) return true;
  if (name.includes("/") || !KNOWN_STREAM.test(name)) return false;
  if (sameName(name, "CONTENTS")) return isContentsFile(content);
  if (sameName(name, "\x01Ole10Native")) return isPackage(content) || (content != null && isBitmapFile(oleNativeData(Buffer.from(content))));
  return !sameName(name, "\x01Ole") || !isLink(content);
}

/**
 * An OLE stream of a linked object ([MS-OLEDS] 2.3.3: flag 1), whose monikers name the linked
 * file by its relative and absolute paths (C:\Users\NAME\...).
 */
function isLink(content: CFB.CFB$Blob | undefined): boolean {
  return content == null || content.length < 8 || (Buffer.from(content.slice(0, 8)).readUInt32LE(4) & 1) !== 0;
}

/**
 * An `\x01Ole10Native` stream that holds a packaged file whose paths the cleaner can take out
 * (embedded-files.ts). Other native data (an OLE 1 program's own, or a package that does not read
 * through) would go back as it is, with whatever paths it holds.
 */
function isPackage(content: CFB.CFB$Blob | undefined): boolean {
  if (content == null || content.length < 4) return false;
  const b = Buffer.from(content);
  const size = b.readUInt32LE(0);
  return size <= b.length - 4 && parsePackage(b.subarray(4, 4 + size)) != null;
}

/**
 * A `CONTENTS` stream that is a file of its own, which its cleaner cleans: a PDF (Acrobat's
 * objects), an RTF document (WordPad's) or a Photoshop document (Photoshop's "Adobe Photoshop
 * Image" objects: the picture with its layers, thumbnail, XMP and EXIF).
 */
export function isContentsFile(content: CFB.CFB$Blob | undefined): boolean {
  if (content == null || content.length < 5) return false;
  const head = Buffer.from(content.slice(0, 5)).toString("latin1");
  return head === "%PDF-" || head === "{\\rtf" || head.startsWith("8BPS");
}

/** The user type of `storage`'s `\x01CompObj` stream ([MS-OLEDS] 2.3.8: a 28-byte header, then a length-prefixed ANSI string). */
function programName(doc: CFB.CFB$Container, storage: string): string | null {
  const e = doc.FileIndex[doc.FullPaths.findIndex((p) => p.startsWith(storage) && sameName(p.slice(storage.length), "\x01CompObj"))];
  if (e?.content == null || e.content.length < 32) return null;
  const b = Buffer.from(e.content);
  const length = b.readUInt32LE(28);
  if (length < 2 || 32 + length > b.length) return null;
  const name = b.toString("latin1", 32, 32 + length - 1).replace(/[^\x20-\x7e]/g, "").trim();
  return name === "" ? null : name.slice(0, 80);
}
