import type CFB from "cfb";
import { BadFileError } from "../errors.js";
import { parsePackage } from "./ole-package.js";
import { sameName } from "./stream-names.js";

/**
 * The streams an embedded object's own storage may hold ([MS-OLEDS]) that the cleaner knows:
 * - structure: the OLE stream (flags, and an item moniker naming the object's place in its
 *   document, "Sheet1!Object 1"), `\x01CompObj` (the program's class and name), Word's
 *   `\x03ObjInfo` (6 bytes of flags), kept as they are;
 * - what the document shows of it: the presentation caches (`\x02OlePresNNN`, `\x03EPRINT`), pictures
 *   and drawings cleaned in place as every stream's;
 * - its content: a packaged file (`\x01Ole10Native` that reads as a package), an Office 2007+ document (`Package`), a PDF
 *   (`CONTENTS`), each cleaned by its own cleaner (embedded-files.ts), and Equation Editor 3.0's
 *   formula (`Equation Native`: the formula's characters, fonts and sizes, no names or dates);
 * - an OLE 1 object's name within its link's source (`\x01Ole10ItemName`).
 * An Office 97-2003 document embedded as an object is its own program's file (DOC, XLS, PPT).
 */
const KNOWN_STREAM = /^(\x01Ole|\x01CompObj|\x03ObjInfo|\x02OlePres\d{3}|\x03EPRINT|\x01Ole10Native|\x01Ole10ItemName|Package|CONTENTS|Equation Native)$/i;

/**
 * Refuses an embedded object (a compound file of type OLE object) that holds a stream the cleaner
 * does not know, as a file of a program no cleaner handles, naming the program as the object's
 * CompObj stream does ("Microsoft Visio Drawing"): its own streams may hold its author. Streams
 * `ours` says no to (inside an embedded document its own cleaner cleaned) are not looked at.
 */
export function refuseUnknownObject(doc: CFB.CFB$Container, ours: (index: number) => boolean): void {
  const root = doc.FullPaths[0] ?? "";
  const unknown = doc.FullPaths.findIndex((p, i) => {
    const e = doc.FileIndex[i];
    if (e?.type !== 2 || !ours(i)) return false;
    const name = p.slice(root.length);
    // The library's own stream in a file it wrote (index.ts).
    if (sameName(name, "\x01Sh33tJ5")) return false;
    return name.includes("/") || !KNOWN_STREAM.test(name) || (sameName(name, "CONTENTS") && !isPdf(e.content)) || (sameName(name, "\x01Ole10Native") && !isPackage(e.content));
  });
  if (unknown < 0) return;
  const program = programName(doc) ?? "of an unknown program";
  throw new BadFileError(
    `The file holds an embedded object (${program}) that this service cannot clean.`,
    new Error(`legacy-office: the object's stream ${JSON.stringify(doc.FullPaths[unknown])} is not one the cleaner knows`),
  );
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

/** A `CONTENTS` stream that is a PDF file (Acrobat's objects), which the PDF cleaner cleans. */
export function isPdf(content: CFB.CFB$Blob | undefined): boolean {
  return content != null && content.length >= 5 && Buffer.from(content.slice(0, 5)).toString("latin1") === "%PDF-";
}

/** The user type of the root's `\x01CompObj` stream ([MS-OLEDS] 2.3.8: a 28-byte header, then a length-prefixed ANSI string). */
function programName(doc: CFB.CFB$Container): string | null {
  const root = doc.FullPaths[0] ?? "";
  const e = doc.FileIndex[doc.FullPaths.findIndex((p) => sameName(p.slice(root.length), "\x01CompObj"))];
  if (e?.content == null || e.content.length < 32) return null;
  const b = Buffer.from(e.content);
  const length = b.readUInt32LE(28);
  if (length < 2 || 32 + length > b.length) return null;
  const name = b.toString("latin1", 32, 32 + length - 1).replace(/[^\x20-\x7e]/g, "").trim();
  return name === "" ? null : name.slice(0, 80);
}
