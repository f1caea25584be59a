import { bareHyperlinks, bareInPlace } from "./hyperlink-object.js";

/** [MS-DOC] 2.9.192 PICF: its size, its header's size (always 68), its metafile's mapping mode. */
const PICF_HEADER = 0x44;
/**
 * Mapping modes of a picture linked to its file, whose PICF is followed by the file's name (a
 * byte count, then 8-bit characters): [MS-DOC]'s MM_SHAPEFILE, and those LibreOffice writes and
 * reads (94, 98, 99: Word's older linked BMP, GIF and TIFF pictures).
 */
const LINKED_MODES: ReadonlySet<number> = new Set([0x5e, 0x62, 0x63, 0x66]);

/**
 * The links a Word 97-2003 document's Data stream holds, with their local paths cut to bare names
 * in place (hyperlink-object.ts): the hyperlink objects of its HYPERLINK fields (their HFD,
 * [MS-DOC] 2.9.114) and the file names of its linked pictures (a PICF's stPicName: Word and
 * LibreOffice write `file:///C:/Users/jane/Pictures/photo.jpg` there). A PICF is found by its
 * header's size and mode, and taken only when the name and the picture fit its size and the name
 * is text.
 */
export function bareDataLinks(data: Buffer): void {
  bareHyperlinks(data);
  for (let at = 0; at + PICF_HEADER + 1 <= data.length; at++) {
    if (data.readUInt16LE(at + 4) !== PICF_HEADER || !LINKED_MODES.has(data.readUInt16LE(at + 6))) continue;
    const size = data.readUInt32LE(at);
    const chars = data[at + PICF_HEADER]!;
    const name = at + PICF_HEADER + 1;
    if (chars === 0 || PICF_HEADER + 1 + chars > size || at + size > data.length) continue;
    if (data.subarray(name, name + chars).every((c) => c >= 0x20 && c !== 0x7f)) bareInPlace(data, name, chars, "latin1");
  }
}
