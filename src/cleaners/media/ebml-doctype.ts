import fsp from "node:fs/promises";

/**
 * The DocType of an EBML document ("matroska", "webm"), read from its header's first 64 bytes
 * (the header is small: version fields, then the DocType string), or null.
 */
export async function ebmlDocType(file: string): Promise<string | null> {
  const fh = await fsp.open(file, "r");
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const at = head.subarray(0, bytesRead).indexOf(Buffer.from([0x42, 0x82]));
    const size = head[at + 2];
    // A one-byte size (high bit set): the DocType string follows.
    if (at < 0 || size == null || (size & 0x80) === 0) return null;
    return head.toString("latin1", at + 3, Math.min(bytesRead, at + 3 + (size & 0x7f))).replace(/\0+$/, "");
  } finally {
    await fh.close();
  }
}
