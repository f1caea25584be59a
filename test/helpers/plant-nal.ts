/**
 * An H.264 or HEVC Annex B stream with `tail` appended to every NAL unit of one of `types` (before
 * the next start code, or the end of the stream), and how many there were: bytes a writer may put
 * after a unit's last field, which decoders do not read.
 */
export function withUnitTails(stream: Buffer, codec: "h264" | "hevc", types: readonly number[], tail: Buffer): { stream: Buffer; count: number } {
  const parts: Buffer[] = [];
  let last = 0;
  let count = 0;
  let inUnit = false;
  const cut = (at: number): void => {
    if (!inUnit) return;
    parts.push(stream.subarray(last, at), tail);
    last = at;
    count++;
  };
  for (let i = 0; i + 3 < stream.length; i++) {
    if (stream[i] !== 0 || stream[i + 1] !== 0 || stream[i + 2] !== 1) continue;
    cut(stream[i - 1] === 0 ? i - 1 : i);
    const header = stream[i + 3]!;
    inUnit = types.includes(codec === "h264" ? header & 0x1f : (header >> 1) & 0x3f);
  }
  cut(stream.length);
  parts.push(stream.subarray(last));
  return { stream: Buffer.concat(parts), count };
}
