/** Word for Windows 2.0's file header: its FIB's magic number (wIdent 0xA5DB) and nFib 45, as file(1) tells "Microsoft WinWord 2.0 Document". */
const WIDENT_WORD2 = 0xa5db;
const NFIB_WORD2 = 0x002d;

/**
 * The type of a Word for Windows 2.0 document by its first bytes, or null. That version wrote a
 * bare FIB and text, not a compound file; ExifTool does not know the format, whose header and
 * summary name the author. The service does not clean it, and says which format it refused.
 */
export function oldWordType(head: Buffer): string | null {
  return head.length >= 4 && head.readUInt16LE(0) === WIDENT_WORD2 && head.readUInt16LE(2) === NFIB_WORD2 ? "Word 2.0 document" : null;
}
