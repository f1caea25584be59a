/**
 * Signatures of picture metadata: a JPEG's EXIF and XMP segments and Photoshop block, and the
 * text and EXIF chunks of a PNG. Office 97-2003 files keep their pictures whole inside their own
 * streams (Word's Data, PowerPoint's Pictures, Excel's drawing records).
 */
const SIGNATURES: readonly Buffer[] = ["Exif\0\0", "http://ns.adobe.com/xap/1.0/", "Photoshop 3.0\0", "eXIf", "tEXt", "iTXt", "zTXt"].map((s) =>
  Buffer.from(s, "latin1"),
);

/**
 * True when a stream holds a picture with metadata of its own. Those pictures cannot be cleaned
 * in place yet (their sizes are recorded elsewhere in the file), so the document is refused
 * rather than handed back with them.
 */
export function holdsPictureMetadata(stream: Buffer): boolean {
  return SIGNATURES.some((s) => stream.includes(s));
}
