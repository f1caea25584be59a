/**
 * Reads big-endian unsigned fields and NUL-terminated strings in order, refusing to run past
 * `to`: the field reader of the HEIF cleaner (heif-items.ts) and of its proof (heif-proof.ts),
 * which otherwise share no box code.
 */
export class BigEndianFields {
  constructor(
    private readonly buf: Buffer,
    public at: number,
    private readonly to: number,
  ) {}

  /** An n-byte number (n 0..8; 0 reads as 0), or null past the end or beyond a safe integer. */
  uint(n: number): number | null {
    if (this.at + n > this.to) return null;
    const value = n === 0 ? 0 : n <= 6 ? this.buf.readUIntBE(this.at, n) : Number(this.buf.readBigUInt64BE(this.at));
    this.at += n;
    return Number.isSafeInteger(value) ? value : null;
  }

  /** A NUL-terminated string, or null when there is no NUL before the end. */
  text(): string | null {
    const end = this.buf.indexOf(0, this.at);
    if (end < 0 || end >= this.to) return null;
    const value = this.buf.toString("latin1", this.at, end);
    this.at = end + 1;
    return value;
  }

  get done(): boolean {
    return this.at === this.to;
  }
}
