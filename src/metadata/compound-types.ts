import { compoundRootNames } from "../cleaners/legacy-office/compound-directory.js";
import { MAX_COMPOUND_ENTRIES } from "../cleaners/legacy-office/compound-screen.js";
import type { RawRead } from "./read-task.js";

/** [MS-CFB] 2.2: the first bytes of every compound file. */
const COMPOUND_SIGNATURE = Buffer.from("d0cf11e0a1b11ae1", "hex");

/** An Office 2007+ document (DOCX, XLSX, PPTX) encrypted with a password: a compound file holding the encrypted package. */
export const ENCRYPTED_OFFICE = "encrypted Office document";

/**
 * A compound file whose directory cannot be read through (cut short, most often) and in which no
 * program's document could be told: ExifTool calls it a FlashPix image.
 */
export const DAMAGED_COMPOUND = "damaged compound file";

/** A VBA project's storage saved as a file of its own ([MS-OVBA] 2.2): a document's macros. */
export const VBA_PROJECT = "VBA project";

/**
 * An embedded object saved as a file of its own ([MS-OLEDS]): what DOCX, XLSX and PPTX keep as
 * `word/embeddings/oleObjectN.bin` (`xl/`, `ppt/`) (a file packaged by Object Packager, a PDF, an equation...), and
 * what Office 97-2003 documents keep as storages. ExifTool calls it a FlashPix image.
 */
export const OLE_OBJECT = "OLE object";

/** The types ExifTool gives compound files whose program it names by their properties, or none (FPX). */
const NAMED_BY_PROPERTIES: ReadonlySet<unknown> = new Set(["FPX", "DOC", "XLS", "PPT"]);

interface CompoundType {
  type: string;
  extension?: string;
  mime?: string;
}

/**
 * The root streams that make a compound file one program's document, in [MS-DOC], [MS-XLS] (Book:
 * Excel 5.0/95's BIFF5 workbook) and [MS-PPT], and [MS-OFFCRYPTO]'s encrypted package; compound
 * file names compare without case, as Office opens them.
 */
const BY_ROOT_STREAM: ReadonlyArray<{ stream: RegExp } & CompoundType> = [
  { stream: /^EncryptedPackage$/i, type: ENCRYPTED_OFFICE },
  { stream: /^WordDocument$/i, type: "DOC", extension: "doc", mime: "application/msword" },
  { stream: /^(Workbook|Book)$/i, type: "XLS", extension: "xls", mime: "application/vnd.ms-excel" },
  { stream: /^PowerPoint Document$/i, type: "PPT", extension: "ppt", mime: "application/vnd.ms-powerpoint" },
  // PowerPoint 4.0's one stream (Apache POI's pp40only.ppt), a format no cleaner knows: named, so that its refusal says which.
  { stream: /^PP40$/i, type: "PowerPoint 4.0 presentation", extension: "ppt", mime: "application/vnd.ms-powerpoint" },
  // [MS-OXMSG] 2.4: an Outlook item (an e-mail attached to a document), which no cleaner cleans, named as such.
  { stream: /^__properties_version1\.0$/i, type: "Outlook message", extension: "msg", mime: "application/vnd.ms-outlook" },
  // [MS-OVBA] 2.2: a VBA project's storage on its own (a PPTM's vbaProject.bin, a presentation's macros), named as the macros it is.
  { stream: /^PROJECT$/i, type: VBA_PROJECT, extension: "bin", mime: "application/vnd.ms-office.vbaProject" },
];

/**
 * The streams only an embedded object's storage holds: the OLE stream ([MS-OLEDS] 2.3.3), Word's
 * object information, and OLE 1 native data (Object Packager's). A document's own `\x01CompObj`
 * does not make it an object.
 */
const OBJECT_STREAM = /^(\x01Ole|\x03ObjInfo|\x01Ole10Native)$/i;
/** The 4-byte stream the `cfb` library adds to every file it writes (legacy-office/index.ts). */
export const LIBRARY_STREAM = "\x01Sh33tJ5";
const OBJECT: CompoundType = { type: OLE_OBJECT, extension: "bin", mime: "application/x-ole-storage" };

/**
 * An Office 97-2003 compound file's type by the streams in its root storage. ExifTool, which reads
 * files without their extension here, names a compound file by the program its CompObj stream or
 * its SummaryInformation's Software field names, and the last one it reads wins: a workbook with
 * no CompObj and no Software (jxl's, Excel 5.0/95's, many generated ones) or a presentation
 * whose properties do not say PowerPoint was a FlashPix image ("not supported (FPX)"), and a
 * workbook holding an embedded Word document was a DOC once its own properties were dropped.
 * An Office 2007+ document encrypted with a password is a compound file of no program at all.
 * One whose directory is broken before any of these streams shows (a Word document cut short: Word
 * writes the directory last) is a damaged compound file, not a FlashPix image ("not supported (FPX)").
 * One read through that holds none of them but an object's streams, or nothing, is an embedded
 * object; one holding an Outlook item's properties, or a VBA project's, is named for it.
 */
export async function namedByRootStreams(file: string, read: RawRead): Promise<RawRead> {
  if (!NAMED_BY_PROPERTIES.has(read.tags["File:FileType"])) return read;
  const root = await compoundRootNames(file, MAX_COMPOUND_ENTRIES);
  const found = root == null ? undefined : BY_ROOT_STREAM.find((t) => root.names.some((n) => t.stream.test(n)));
  // An object's storage holding nothing at all (PowerPoint keeps some: Tika's testPPT.ppt) is one too, and so
  // is the cleaner's copy of it, which the library it writes with may give a stream of its own.
  const streams = root?.names.filter((n) => n !== LIBRARY_STREAM);
  const object = streams != null && (streams.length === 0 || streams.some((n) => OBJECT_STREAM.test(n))) ? OBJECT : undefined;
  const named: CompoundType | undefined = found ?? (root?.broken === true ? { type: DAMAGED_COMPOUND } : object);
  return named == null || named.type === read.tags["File:FileType"] ? read : retyped(read, named);
}

/**
 * A file that starts as a compound file but that ExifTool could not type (cut within its 512-byte
 * header, or a header it cannot read): a damaged compound file, or null when it does not start so.
 */
export function damagedCompoundHead(read: RawRead, head: Buffer): RawRead | null {
  return read.tags["File:FileType"] == null && head.subarray(0, 8).equals(COMPOUND_SIGNATURE) ? retyped(read, { type: DAMAGED_COMPOUND }) : null;
}

/** `read` with the File tags of `named` (those it lacks left out). */
function retyped(read: RawRead, named: CompoundType): RawRead {
  const { ["File:FileTypeExtension"]: _extension, ["File:MIMEType"]: _mime, ...tags } = read.tags;
  return {
    tags: {
      ...tags,
      "File:FileType": named.type,
      ...(named.extension == null ? {} : { "File:FileTypeExtension": named.extension }),
      ...(named.mime == null ? {} : { "File:MIMEType": named.mime }),
    },
    messages: read.messages,
  };
}
