/** A JPEG 2000 codestream's comment segment (COM) holding `text` as Latin-1 (registration value 1). */
export function commentSegment(text: string): Buffer {
  const body = Buffer.from(text, "latin1");
  const segment = Buffer.alloc(6);
  segment.writeUInt16BE(0xff64, 0);
  segment.writeUInt16BE(4 + body.length, 2);
  segment.writeUInt16BE(1, 4);
  return Buffer.concat([segment, body]);
}
