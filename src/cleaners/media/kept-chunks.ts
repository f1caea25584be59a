import type { RangeWriter } from "../range-writer.js";

/** A chunk kept from the source: its id, and its data by place and length there. */
export interface KeptChunk {
  id: string;
  at: number;
  size: number;
}

/**
 * Writes a RIFF (WAV, little-endian lengths) or IFF (AIFF, big-endian) form of the kept chunks:
 * the form's header (`magic`, its length, `form`), then each chunk's header and data copied from
 * the source, padded to an even length with a zero of ours, not the source's byte.
 */
export function writeKeptChunks(out: RangeWriter, magic: "RIFF" | "FORM", form: string, chunks: readonly KeptChunk[]): void {
  const bigEndian = magic === "FORM";
  const header = (id: string, size: number): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, "latin1");
    if (bigEndian) head.writeUInt32BE(size, 4);
    else head.writeUInt32LE(size, 4);
    return head;
  };
  const body = chunks.reduce((n, c) => n + 8 + c.size + (c.size % 2), 0);
  out.bytes(Buffer.concat([header(magic, 4 + body), Buffer.from(form, "latin1")]));
  for (const c of chunks) {
    out.bytes(header(c.id, c.size));
    out.copy(c.at, c.at + c.size);
    if (c.size % 2 === 1) out.bytes(Buffer.alloc(1));
  }
}
