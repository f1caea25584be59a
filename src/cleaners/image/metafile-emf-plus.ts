import { damaged, zeroSlack } from "./metafile-fields.js";

const COMMENT = 0x4003;
/** [MS-EMFPLUS] 2.1.1.1: Header (0x4001) to SetTSClip (0x403A), less the MultiFormat records, reserved and drawn by no reader. */
const KNOWN = (type: number): boolean => type >= 0x4001 && type <= 0x403a && (type < 0x4005 || type > 0x4007);

/**
 * The EMF+ records in an EMF comment ([MS-EMFPLUS] 2.3: type, flags, size, data size), cleaned in
 * place: a record of a type no reader knows goes, an EmfPlusComment's data (private data of the
 * program that drew it) becomes zeros, and bytes past a record's data size become zeros. Says how
 * many bytes of records remain (at the start of `records`) and how many things were removed.
 */
export function cleanEmfPlus(records: Buffer): { size: number; blanked: number } {
  let blanked = 0;
  let write = 0;
  let at = 0;
  for (; at + 12 <= records.length; ) {
    const type = records.readUInt16LE(at);
    const size = records.readUInt32LE(at + 4);
    const dataSize = records.readUInt32LE(at + 8);
    if (size < 12 || size % 4 !== 0 || at + size > records.length) throw damaged(`an EMF+ record of ${size} bytes runs past its comment`);
    if (12 + dataSize > size) throw damaged(`an EMF+ record of ${size} bytes claims ${dataSize} bytes of data`);
    const record = records.subarray(at, at + size);
    if (KNOWN(type)) {
      const data = record.subarray(12, 12 + dataSize);
      if (type === COMMENT && data.some((x) => x !== 0)) {
        data.fill(0);
        blanked++;
      }
      if (zeroSlack(record, [[0, 12 + dataSize]])) blanked++;
      if (write !== at) records.copy(records, write, at, at + size);
      write += size;
    } else blanked++;
    at += size;
  }
  if (records.subarray(at).some((x) => x !== 0)) blanked++;
  // What the kept records moved away from, and bytes too few for a record, are not counted again by the comment.
  records.fill(0, write);
  return { size: write, blanked };
}
