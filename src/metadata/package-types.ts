import { openZip, zipEntries } from "../cleaners/zip-file.js";
import type { RawRead } from "./read-task.js";

/** The main part of an Excel binary workbook: records, where an XLSX has `xl/workbook.xml`. */
const BINARY_WORKBOOK = /^xl\/workbook\.bin$/i;
/** Entries looked at before a package is taken for what ExifTool says (an Office package has tens). */
const MAX_ENTRIES = 10_000;

/**
 * An Excel binary workbook (XLSB), which ExifTool, reading a file without its extension, calls a
 * DOCX: the package's main content type is one it has no name for, and DOCX is its default for
 * Office packages. Told by its workbook part; any other package keeps ExifTool's type.
 */
export async function namedByParts(file: string, read: RawRead): Promise<RawRead> {
  if (read.tags["File:FileType"] !== "DOCX" || !(await holdsBinaryWorkbook(file))) return read;
  return {
    tags: { ...read.tags, "File:FileType": "XLSB", "File:FileTypeExtension": "xlsb", "File:MIMEType": "application/vnd.ms-excel.sheet.binary.macroEnabled.12" },
    messages: read.messages,
  };
}

async function holdsBinaryWorkbook(file: string): Promise<boolean> {
  // A package ExifTool read as a DOCX but that does not open here is left to the cleaner to refuse.
  const zip = await openZip(file).catch(() => null);
  if (zip == null) return false;
  try {
    let n = 0;
    for await (const entry of zipEntries(zip)) {
      if (BINARY_WORKBOOK.test(entry.fileName)) return true;
      if (++n >= MAX_ENTRIES) return false;
    }
    return false;
  } catch {
    return false;
  } finally {
    zip.close();
  }
}
