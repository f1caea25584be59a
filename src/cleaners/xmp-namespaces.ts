import fs from "node:fs";
import { TooComplexError } from "./errors.js";

/**
 * ExifTool gives every namespace URI of an XMP packet a prefix of its own, comparing each new URI
 * with every one it knows (XMP.pm: a pattern tried on all known URIs, then "tmp0", "tmp1"... tried
 * in turn where the prefix is taken): the cost grows with the square of the URIs. 5,000 URIs
 * declared in 40 kB of XMP cost it ~8 s of CPU, 200,000 (a 1.5 MB PNG) more than its 60 s timeout,
 * for extraction and again for the removal's re-read. Real XMP declares a few dozen (Photoshop,
 * Lightroom, camera makers' own); an SVG's root, a dozen.
 */
export const MAX_XMP_NAMESPACES = 1_000;


const XMLNS = Buffer.from("xmlns:", "latin1");
/**
 * "xmlns:" in UTF-16 and in UTF-32, either byte order: ExifTool turns XMP that starts in either
 * (a byte order mark, then "<?xpacket" or "<?xml") into UTF-8 before parsing it (XMP.pm), a sidecar's
 * or a JPEG's APP1 segment's alike: 20,000 URIs in a 4.5 MB UTF-16 sidecar held it a minute.
 */
const WIDE = [2, 4].map((width) => {
  const xmlns = Buffer.from([..."xmlns:"].map((c) => c + "\0".repeat(width - 1)).join("").slice(0, -(width - 1)), "latin1");
  // Its end ("s\0:"), sought first: Node finds a short needle not starting with a zero several
  // times faster (0.03-0.06 ms a megabyte of video against 0.3-0.4), and most of a file is no text.
  return { width, xmlns, tail: xmlns.subarray(xmlns.length - (width + 1)) };
});
/** A URI longer than this is counted by its first bytes (two such URIs alike so far are one). */
const MAX_URI_BYTES = 1024;
const CHUNK = 1 << 20;
/** From "xmlns:" to the URI's opening quote: the prefix and the spaces around "=". */
const MAX_PREFIX_BYTES = 256;
/** What a declaration spans at most, in UTF-32: a stream's chunks overlap by as much. */
export const MAX_DECLARATION_BYTES = 4 * (XMLNS.length + MAX_PREFIX_BYTES + MAX_URI_BYTES + 1);

/** Where `byte` is in bytes[from, to), or -1. */
function within(bytes: Buffer, byte: number, from: number, to: number): number {
  const i = bytes.subarray(from, Math.min(to, bytes.length)).indexOf(byte);
  return i < 0 ? -1 : from + i;
}

/** The distinct namespace URIs declared (`xmlns:prefix="uri"`) in bytes fed to it, as ExifTool reads them. */
export class XmpNamespaceTally {
  private readonly seen = new Set<string>();

  constructor(private readonly what: string) {}

  /**
   * Counts the declarations in `bytes`, in UTF-8 (or any encoding ASCII's characters are bytes of)
   * and, where "xmlns:" shows in it, in UTF-16 or UTF-32; refuses the file past MAX_XMP_NAMESPACES.
   */
  scan(bytes: Buffer): void {
    this.scanNarrow(bytes);
    for (const { width, xmlns, tail } of WIDE) {
      const phases = new Set<number>();
      for (let end = bytes.indexOf(tail); end >= 0 && phases.size < width; end = bytes.indexOf(tail, end + 1)) {
        const at = end + tail.length - xmlns.length;
        if (at >= 0 && bytes.subarray(at, at + xmlns.length).equals(xmlns)) phases.add(at % width);
      }
      for (const phase of phases) this.scanNarrow(narrowed(bytes, width, phase));
    }
  }

  /**
   * Counts the declarations in a stream of bytes: each chunk, and where two meet, the end of the one
   * and the start of the other (a declaration seen twice counts once; copying whole chunks together
   * cost more than their scan).
   */
  async scanStream(chunks: AsyncIterable<Buffer>): Promise<void> {
    let end: Buffer | null = null;
    for await (const chunk of chunks) {
      if (end != null) this.scan(Buffer.concat([end, chunk.subarray(0, MAX_DECLARATION_BYTES)]));
      this.scan(chunk);
      // Chunks shorter than a declaration (an inflating member's) add up to the end kept.
      const last: Buffer = end == null || chunk.length >= MAX_DECLARATION_BYTES ? chunk : Buffer.concat([end, chunk]);
      end = last.subarray(Math.max(0, last.length - MAX_DECLARATION_BYTES));
    }
  }

  private scanNarrow(bytes: Buffer): void {
    for (let at = bytes.indexOf(XMLNS); at >= 0; at = bytes.indexOf(XMLNS, at + XMLNS.length)) {
      // Each search is bounded by what a declaration can span, so that a flood of "xmlns:" costs a
      // pass over the bytes, not one pass each.
      const eq = within(bytes, 0x3d, at + XMLNS.length, at + MAX_PREFIX_BYTES);
      if (eq < 0) continue;
      let open = eq + 1;
      while (open < bytes.length && (bytes[open] === 0x20 || bytes[open] === 0x09 || bytes[open] === 0x0a || bytes[open] === 0x0d)) open++;
      if (open === bytes.length || open - at > MAX_PREFIX_BYTES || (bytes[open] !== 0x22 && bytes[open] !== 0x27)) continue;
      const close = within(bytes, bytes[open]!, open + 1, open + 1 + MAX_URI_BYTES);
      // Cut by the end of the bytes: a stream's next scan sees it whole.
      if (close < 0 && open + 1 + MAX_URI_BYTES > bytes.length) continue;
      this.add(bytes.toString("latin1", open + 1, close < 0 ? open + 1 + MAX_URI_BYTES : close));
    }
  }

  private add(uri: string): void {
    this.seen.add(uri);
    if (this.seen.size > MAX_XMP_NAMESPACES) throw new TooComplexError(`${this.what} declares more than ${MAX_XMP_NAMESPACES} XML namespaces`);
  }
}

/**
 * `bytes` read as code units of `width` bytes from `phase` (little-endian: a big-endian text read
 * from one byte on reads the same for ASCII), an ASCII unit as its byte and any other as
 * `width` + 1 bytes of 7 bits each, all with their high bit set: distinct units stay distinct, so
 * URIs differing only past ASCII (lone surrogates too, which ExifTool keeps apart) are counted apart.
 */
function narrowed(bytes: Buffer, width: number, phase: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil((bytes.length / width) * (width + 1)));
  let n = 0;
  for (let at = phase; at + width <= bytes.length; at += width) {
    let unit = 0;
    for (let b = width - 1; b >= 0; b--) unit = unit * 256 + bytes[at + b]!;
    if (unit < 0x80) {
      out[n++] = unit;
      continue;
    }
    for (let shift = 7 * width; shift >= 0; shift -= 7) out[n++] = 0x80 | (Math.floor(unit / 2 ** shift) & 0x7f);
  }
  return out.subarray(0, n);
}

/** Whether `head` declares namespaces at all: the file is then worth counting them whole. */
export const declaresNamespaces = (head: Buffer): boolean => head.includes(XMLNS) || WIDE.some(({ xmlns }) => head.includes(xmlns));

/**
 * Counts the namespace URIs declared anywhere in the file's bytes as stored (XMP in JPEG, TIFF,
 * PNG's iTXt, MP4, WebP, GIF, PDF..., an SVG or an XMP sidecar), read in windows, whatever the
 * file's size (a 70 MB MP4 whose XMP box of 20,000 URIs came after its pictures held ExifTool a
 * minute); the compressed packets a format may hold are counted by its own screen.
 */
export async function checkXmpNamespaces(file: string): Promise<void> {
  await new XmpNamespaceTally("the file").scanStream(fs.createReadStream(file, { highWaterMark: CHUNK }));
}
