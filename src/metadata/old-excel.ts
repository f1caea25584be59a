/**
 * The BOF record that starts an Excel 2.x, 3.0 or 4.0 file, by its record type: these versions
 * wrote a bare BIFF2, BIFF3 or BIFF4 stream, not a compound file (OpenOffice.org's "Microsoft
 * Excel File Format", 5.8: BOF).
 */
const VERSIONS: Readonly<Record<number, string>> = { 0x0009: "2.x", 0x0209: "3.0", 0x0409: "4.0" };
/** The BOF's substream type: what the file holds. */
const KINDS: Readonly<Record<number, string>> = { 0x0010: "worksheet", 0x0020: "chart", 0x0040: "macro sheet", 0x0100: "workbook" };

/**
 * The type of an Excel 2.x-4.0 file by its first record, named for a person ("Excel 4.0
 * worksheet"), or null. ExifTool does not know these formats, whose WriteAccess record names
 * whoever saved the file; the service does not clean them, and says which format it refused.
 */
export function oldExcelType(head: Buffer): string | null {
  if (head.length < 8) return null;
  const version = VERSIONS[head.readUInt16LE(0)];
  const length = head.readUInt16LE(2);
  const kind = KINDS[head.readUInt16LE(6)];
  return version == null || kind == null || length < 4 || length > 16 ? null : `Excel ${version} ${kind}`;
}
