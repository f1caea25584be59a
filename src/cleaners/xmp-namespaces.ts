import fs from "node:fs";
import fsp from "node:fs/promises";
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

/** Files past this size are not read whole for the count: their own screens bound what ExifTool reads. */
export const MAX_NAMESPACE_SCAN_BYTES = 64 * 1024 * 1024;

const XMLNS = Buffer.from("xmlns:", "latin1");
/** A URI longer than this is counted by its first bytes (two such URIs alike so far are one). */
const MAX_URI_BYTES = 1024;
const CHUNK = 1 << 20;
/** From "xmlns:" to the URI's opening quote: the prefix and the spaces around "=". */
const MAX_PREFIX_BYTES = 256;

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
   * Counts the declarations in `bytes`, refusing the file past MAX_XMP_NAMESPACES; returns where
   * the last declaration not yet complete starts (bytes.length when none), for a stream to carry.
   */
  scan(bytes: Buffer): number {
    for (let at = bytes.indexOf(XMLNS); at >= 0; at = bytes.indexOf(XMLNS, at + XMLNS.length)) {
      // Each search is bounded by what a declaration can span, so that a flood of "xmlns:" costs a
      // pass over the bytes, not one pass each.
      const eq = within(bytes, 0x3d, at + XMLNS.length, at + MAX_PREFIX_BYTES);
      if (eq < 0) {
        if (at + MAX_PREFIX_BYTES > bytes.length) return at;
        continue;
      }
      let open = eq + 1;
      while (open < bytes.length && (bytes[open] === 0x20 || bytes[open] === 0x09 || bytes[open] === 0x0a || bytes[open] === 0x0d)) open++;
      if (open === bytes.length) return at;
      if (open - at > MAX_PREFIX_BYTES || (bytes[open] !== 0x22 && bytes[open] !== 0x27)) continue;
      const close = within(bytes, bytes[open]!, open + 1, open + 1 + MAX_URI_BYTES);
      if (close < 0 && open + 1 + MAX_URI_BYTES > bytes.length) return at;
      this.add(bytes.toString("latin1", open + 1, close < 0 ? open + 1 + MAX_URI_BYTES : close));
    }
    return bytes.length;
  }

  /** Counts the declarations in a stream of bytes, carrying what a chunk ends in to the next. */
  async scanStream(chunks: AsyncIterable<Buffer>): Promise<void> {
    let carry: Buffer = Buffer.alloc(0);
    for await (const chunk of chunks) {
      const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      const rest = this.scan(bytes);
      carry = bytes.subarray(Math.max(rest, bytes.length - MAX_URI_BYTES - MAX_PREFIX_BYTES * 2));
    }
  }

  private add(uri: string): void {
    this.seen.add(uri);
    if (this.seen.size > MAX_XMP_NAMESPACES) throw new TooComplexError(`${this.what} declares more than ${MAX_XMP_NAMESPACES} XML namespaces`);
  }
}

/** Whether `head` declares namespaces at all: the file is then worth counting them whole. */
export const declaresNamespaces = (head: Buffer): boolean => head.includes(XMLNS);

/**
 * Counts the namespace URIs declared anywhere in the file's bytes as stored (XMP in JPEG, TIFF,
 * PNG's iTXt, MP4, WebP, GIF, PDF..., an SVG or an XMP sidecar), read in windows; the compressed
 * packets a format may hold are counted by its own screen.
 */
export async function checkXmpNamespaces(file: string): Promise<void> {
  if ((await fsp.stat(file)).size > MAX_NAMESPACE_SCAN_BYTES) return;
  await new XmpNamespaceTally("the file").scanStream(fs.createReadStream(file, { highWaterMark: CHUNK }));
}
