/** The encodings an XML file may be in that we read: UTF-8 (and ASCII), and UTF-16 either way. */
export type XmlEncoding = "utf-8" | "utf-16le" | "utf-16be";

/**
 * An XML file's encoding from its first bytes, as the XML spec's appendix F tells it: a
 * byte-order mark, or the `<?` of the declaration in UTF-16 without one. Anything else is read as
 * UTF-8 (a file in another encoding then fails as not well-formed, as before).
 */
export function xmlEncodingOf(head: Uint8Array): XmlEncoding {
  const [a, b, c, d] = head;
  if ((a === 0xff && b === 0xfe) || (a === 0x3c && b === 0x00 && c === 0x3f && d === 0x00)) return "utf-16le";
  if ((a === 0xfe && b === 0xff) || (a === 0x00 && b === 0x3c && c === 0x00 && d === 0x3f)) return "utf-16be";
  return "utf-8";
}
