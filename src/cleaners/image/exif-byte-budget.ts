import zlib from "node:zlib";
import { TooComplexError } from "../errors.js";

/**
 * The bytes a screen may hold or inflate of a file's EXIF blocks before walking them (a HEIF's
 * items put together from their extents, deflated or Brotli-compressed blocks, hex-encoded
 * profiles): past `max` the file is too complex. ExifTool inflates such blocks whole (a PNG's zTXt,
 * a HEIF's deflated item: to its memory cap; a JPEG XL's brob: up to 100 MB).
 */
export class ExifByteBudget {
  private left: number;

  /** `of` names what the bytes are in the refusal's log line ("XML streams"...). */
  constructor(
    readonly max: number,
    private readonly what: string,
    private readonly of = "EXIF blocks",
  ) {
    this.left = max;
  }

  /** Counts `n` more bytes, refusing the file past the budget. */
  take(n: number): void {
    this.left -= n;
    if (this.left < 0) throw this.refusal();
  }

  /**
   * `data` inflated (zlib's format, or Brotli's) and counted, inflating no further than the budget
   * allows; null when it is no such stream or ends early (ExifTool reads nothing from it then).
   */
  inflate(data: Buffer, format: "zlib" | "brotli"): Buffer | null {
    const options = { maxOutputLength: Math.max(1, this.left) };
    let out: Buffer;
    try {
      out = format === "zlib" ? zlib.inflateSync(data, options) : zlib.brotliDecompressSync(data, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw this.refusal(err);
      return null;
    }
    this.take(out.length);
    return out;
  }

  /**
   * What `decoder` makes of some bytes, given the bytes left as its bound, counted; null when it
   * makes nothing of them. Output cut at the bound makes the file too complex.
   */
  decode(decoder: (maxBytes: number) => { bytes: Buffer; cut: boolean } | null): Buffer | null {
    const decoded = decoder(Math.max(1, this.left));
    if (decoded == null) return null;
    if (decoded.cut) throw this.refusal();
    this.take(decoded.bytes.length);
    return decoded.bytes;
  }

  private refusal(cause?: unknown): TooComplexError {
    return new TooComplexError(`${this.what}: more than ${this.max} bytes of ${this.of}`, cause);
  }
}
