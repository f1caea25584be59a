/** The chunks of a RIFF WAVE file, by id, with their data. */
export function chunks(wav: Buffer): Array<{ id: string; data: Buffer }> {
  const out: Array<{ id: string; data: Buffer }> = [];
  for (let at = 12; at + 8 <= wav.length; ) {
    const size = wav.readUInt32LE(at + 4);
    out.push({ id: wav.toString("latin1", at, at + 4), data: wav.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size % 2);
  }
  return out;
}

/** `wav` with `extra` appended to the data of its chunk `id` (chunk and RIFF sizes grown to match). */
export function withLongerChunk(wav: Buffer, id: string, extra: Buffer): Buffer {
  const parts = chunks(wav).map((c) => {
    const body = c.id === id ? Buffer.concat([c.data, extra]) : c.data;
    const head = Buffer.alloc(8);
    head.write(c.id, 0, "latin1");
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  });
  const riff = Buffer.alloc(12);
  riff.write("RIFFxxxxWAVE", 0, "latin1");
  const body = Buffer.concat(parts);
  riff.writeUInt32LE(4 + body.length, 4);
  return Buffer.concat([riff, body]);
}
