import { openZip, zipEntries } from "../cleaners/zip-file.js";
import type { RawRead } from "./read-task.js";

/** What a package is, told by one of its parts, with the File tags ExifTool would give it. */
interface NamedPackage {
  part: RegExp;
  type: string;
  extension: string;
  mime: string;
}

/**
 * Packages ExifTool, reading a file without its extension, calls a DOCX: the package's main
 * content type is one it has no name for, and DOCX is its default for Office packages. An Excel
 * binary workbook (its workbook part is records, `xl/workbook.bin`, where an XLSX has
 * `xl/workbook.xml`), an XPS document (its fixed document sequence at the package's root: Apache
 * Tika's test_text.xps) and a Visio drawing, stencil or template with or without macros (VSTX,
 * VSDM, VSSM...: `visio/document.xml`).
 */
const NAMED_BY_PART: readonly NamedPackage[] = [
  { part: /^xl\/workbook\.bin$/i, type: "XLSB", extension: "xlsb", mime: "application/vnd.ms-excel.sheet.binary.macroEnabled.12" },
  { part: /^[^/]+\.fdseq$/i, type: "XPS", extension: "xps", mime: "application/vnd.ms-xpsdocument" },
  { part: /^visio\/document\.xml$/i, type: "VSDX", extension: "vsdx", mime: "application/vnd.ms-visio.drawing" },
];
/** Entries looked at before a package is taken for what ExifTool says (an Office package has tens). */
const MAX_ENTRIES = 10_000;

/** A package ExifTool calls a DOCX named by its parts (NAMED_BY_PART); any other keeps ExifTool's type. */
export async function namedByParts(file: string, read: RawRead): Promise<RawRead> {
  if (read.tags["File:FileType"] !== "DOCX") return read;
  const named = await packageNamedByPart(file);
  if (named == null) return read;
  return {
    tags: { ...read.tags, "File:FileType": named.type, "File:FileTypeExtension": named.extension, "File:MIMEType": named.mime },
    messages: read.messages,
  };
}

async function packageNamedByPart(file: string): Promise<NamedPackage | null> {
  // A package ExifTool read as a DOCX but that does not open here is left to the cleaner to refuse.
  const zip = await openZip(file).catch(() => null);
  if (zip == null) return null;
  try {
    let n = 0;
    for await (const entry of zipEntries(zip)) {
      const named = NAMED_BY_PART.find((p) => p.part.test(entry.fileName));
      if (named != null) return named;
      if (++n >= MAX_ENTRIES) return null;
    }
    return null;
  } catch {
    return null;
  } finally {
    zip.close();
  }
}
