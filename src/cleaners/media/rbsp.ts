/**
 * Reading the RBSP of an H.264/HEVC NAL unit bit by bit, and ending a parameter set where its
 * syntax ends: what a writer appends to a unit after its last field is read by no decoder, but
 * every stream copy keeps it.
 */

/** A NAL unit's RBSP: its bytes after a `header`-byte header with the emulation prevention bytes taken out, and where each of them is in the unit. */
export interface Rbsp {
  nal: Buffer;
  bytes: Buffer;
  nalAt: number[];
}

export function rbspOf(nal: Buffer, header: number): Rbsp {
  const bytes: number[] = [];
  const nalAt: number[] = [];
  let zeros = 0;
  for (let i = header; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    bytes.push(b);
    nalAt.push(i);
  }
  return { nal, bytes: Buffer.from(bytes), nalAt };
}

/** Reads bits, most significant first; a read past the end gives zeros and sets `overrun`. */
export class BitReader {
  bit = 0;
  overrun = false;
  /** The bit of the RBSP's last 1 (its stop bit if nothing follows it), -1 when all are 0. */
  readonly lastOne: number;

  constructor(private readonly buf: Buffer) {
    let i = buf.length - 1;
    while (i >= 0 && buf[i] === 0) i--;
    this.lastOne = i < 0 ? -1 : i * 8 + 7 - Math.log2(buf[i]! & -buf[i]!);
  }

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++, this.bit++) {
      const byte = this.buf[this.bit >> 3];
      if (byte == null) this.overrun = true;
      v = v * 2 + (((byte ?? 0) >> (7 - (this.bit & 7))) & 1);
    }
    return v;
  }

  /** ue(v): Exp-Golomb; 32 leading zeros or more cannot be a field's value here. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31 || this.overrun) {
        this.overrun = true;
        return 0;
      }
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }

  /** more_rbsp_data() (H.264 7.2, H.265 7.2): a 1 bit lies ahead before the last one. */
  moreData(): boolean {
    return this.bit < this.lastOne;
  }
}

/**
 * The unit ended by a stop bit at bit `end` of its RBSP, where a walk of its syntax found its
 * last field to end, and zeros to that byte's end; what followed is left out. Null when the walk
 * overran the unit or the stop bit there would need an emulation prevention byte. With `strict`,
 * also null unless the unit already holds its stop bit and zero bits there (a walk that does not
 * land on them read another syntax than the writer's); without it, the bits past `end` may be
 * what a decoder took for fields (`h264-pps.ts`).
 */
export function endedAt(unit: Rbsp, r: BitReader, strict: boolean): Buffer | null {
  const end = r.bit;
  if (r.overrun || end > r.lastOne) return null;
  const byte = end >> 3;
  const stop = 0x80 >> (end & 7);
  const value = (unit.bytes[byte]! & ~(stop * 2 - 1) & 0xff) | stop;
  if (strict && value !== unit.bytes[byte]) return null;
  const at = unit.nalAt[byte]!;
  if (value <= 3 && at >= 2 && unit.nal[at - 1] === 0 && unit.nal[at - 2] === 0) return null;
  const kept = Buffer.from(unit.nal.subarray(0, at + 1));
  kept[at] = value;
  return kept;
}
