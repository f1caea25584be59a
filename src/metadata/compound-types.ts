import { compoundRootNames } from "../cleaners/legacy-office/compound-directory.js";
import { MAX_COMPOUND_ENTRIES } from "../cleaners/legacy-office/compound-screen.js";
import type { RawRead } from "./read-task.js";

/** An Office 2007+ document (DOCX, XLSX, PPTX) encrypted with a password: a compound file holding the encrypted package. */
export const ENCRYPTED_OFFICE = "encrypted Office document";

/** The types ExifTool gives compound files whose program it names by their properties, or none (FPX). */
const NAMED_BY_PROPERTIES: ReadonlySet<unknown> = new Set(["FPX", "DOC", "XLS", "PPT"]);

/**
 * The root streams that make a compound file one program's document, in [MS-DOC], [MS-XLS] (Book:
 * Excel 5.0/95's BIFF5 workbook) and [MS-PPT], and [MS-OFFCRYPTO]'s encrypted package; compound
 * file names compare without case, as Office opens them.
 */
const BY_ROOT_STREAM: ReadonlyArray<{ stream: RegExp; type: string; extension?: string; mime?: string }> = [
  { stream: /^EncryptedPackage$/i, type: ENCRYPTED_OFFICE },
  { stream: /^WordDocument$/i, type: "DOC", extension: "doc", mime: "application/msword" },
  { stream: /^(Workbook|Book)$/i, type: "XLS", extension: "xls", mime: "application/vnd.ms-excel" },
  { stream: /^PowerPoint Document$/i, type: "PPT", extension: "ppt", mime: "application/vnd.ms-powerpoint" },
];

/**
 * An Office 97-2003 compound file's type by the streams in its root storage. ExifTool, which reads
 * files without their extension here, names a compound file by the program its CompObj stream or
 * its SummaryInformation's Software field names, and the last one it reads wins: a workbook with
 * no CompObj and no Software (jxl's, Excel 5.0/95's, many generated ones) or a presentation
 * whose properties do not say PowerPoint was a FlashPix image ("not supported (FPX)"), and a
 * workbook holding an embedded Word document was a DOC once its own properties were dropped.
 * An Office 2007+ document encrypted with a password is a compound file of no program at all.
 */
export async function namedByRootStreams(file: string, read: RawRead): Promise<RawRead> {
  if (!NAMED_BY_PROPERTIES.has(read.tags["File:FileType"])) return read;
  const names = await compoundRootNames(file, MAX_COMPOUND_ENTRIES);
  const named = names == null ? undefined : BY_ROOT_STREAM.find((t) => names.some((n) => t.stream.test(n)));
  if (named == null || named.type === read.tags["File:FileType"]) return read;
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
