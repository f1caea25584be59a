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

/**
 * An H.264 or HEVC Annex B stream with units no decoder reads put before its first picture: one
 * of a reserved type holding `text`, one of filler data, one of a type the standard leaves
 * unspecified and an SEI unit whose forbidden bit is set (decoders drop such a unit) holding it
 * too, a true filler unit (all ones) and a unit of the type Dolby Vision's metadata is carried in,
 * both returned: they stay as they are.
 */
export function withUnreadUnits(stream: Buffer, codec: "h264" | "hevc", text: string): { stream: Buffer; trueFiller: Buffer; dolbyVision: Buffer } {
  const headers =
    codec === "h264"
      ? { reserved: [0x17], filler: [0x0c], unspecified: [0x18], forbidden: [0x86], dolbyVision: [0x1c] }
      : { reserved: [0x5a, 0x01], filler: [0x4c, 0x01], unspecified: [0x66, 0x01], forbidden: [0xce, 0x01], dolbyVision: [0x7c, 0x01] };
  const unit = (header: number[], body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 1, ...header]), body, Buffer.from([0x80])]);
  const trueFiller = unit(headers.filler, Buffer.alloc(40, 0xff));
  const dolbyVision = unit(headers.dolbyVision, Buffer.from("190805010203040506070809", "hex"));
  const isPicture = (header: number): boolean => (codec === "h264" ? [1, 5].includes(header & 0x1f) : ((header >> 1) & 0x3f) < 32);
  let first = stream.indexOf(Buffer.from([0, 0, 1]));
  while (first >= 0 && !isPicture(stream[first + 3]!)) first = stream.indexOf(Buffer.from([0, 0, 1]), first + 3);
  if (first < 0) throw new Error("the stream holds no picture");
  const planted = [unit(headers.reserved, Buffer.from(`reserved ${text}`, "latin1")), unit(headers.filler, Buffer.from(`filler ${text}`, "latin1")), unit(headers.unspecified, Buffer.from(`unspecified ${text}`, "latin1")), unit(headers.forbidden, Buffer.from(`forbidden ${text}`, "latin1")), trueFiller, dolbyVision];
  return { stream: Buffer.concat([stream.subarray(0, first), ...planted, stream.subarray(first)]), trueFiller, dolbyVision };
}
