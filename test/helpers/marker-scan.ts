import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import yauzl from "yauzl";
import { run } from "./tools.js";

/**
 * Looks for a marker string everywhere a metadata value could hide in a file, without trusting
 * any parser of the format: the raw bytes (UTF-8/latin1, UTF-16LE, UTF-16BE, hex, base64), the
 * inside of every zlib/gzip stream found anywhere in the bytes, every zip entry (recursively),
 * and for PDFs the fully uncompressed form qpdf gives. Resolves to human-readable places where
 * the marker was found; an empty list means clean.
 */
export async function findMarker(file: string | Buffer, marker: string): Promise<string[]> {
  const bytes = typeof file === "string" ? await fsp.readFile(file) : file;
  const scan = new Scan(needlesFor(marker));
  await scan.buffer(bytes, "file", 0);
  return [...new Set(scan.hits)];
}

/** Decompressed layers are followed this deep (zip in zlib in zip...). */
const MAX_DEPTH = 6;
/** One stream inflates to at most this much; a bomb is cut off, not followed. */
const MAX_INFLATE = 64 * 1024 * 1024;
/** All layers together inflate to at most this much per findMarker call. */
const MAX_TOTAL = 512 * 1024 * 1024;

interface Needle {
  name: string;
  bytes: Buffer;
}

function needlesFor(marker: string): Needle[] {
  const utf8 = Buffer.from(marker, "utf8");
  const utf16le = Buffer.from(marker, "utf16le");
  const utf16be = Buffer.from(utf16le).swap16();
  const needles: Needle[] = [
    { name: "UTF-8", bytes: utf8 },
    { name: "UTF-16LE", bytes: utf16le },
    { name: "UTF-16BE", bytes: utf16be },
    // PDF hex strings, XMP/IPTC hex dumps.
    { name: "hex", bytes: Buffer.from(utf8.toString("hex"), "latin1") },
    { name: "HEX", bytes: Buffer.from(utf8.toString("hex").toUpperCase(), "latin1") },
    { name: "UTF-16BE hex", bytes: Buffer.from(utf16be.toString("hex"), "latin1") },
    { name: "UTF-16BE HEX", bytes: Buffer.from(utf16be.toString("hex").toUpperCase(), "latin1") },
  ];
  // Base64 of the marker at each of the three alignments it can start at inside a longer
  // encoded blob (an XMP thumbnail, a data: URI): the characters that depend only on the
  // marker's own bytes are the same wherever the blob starts.
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), utf8]).toString("base64");
    const head = shift === 0 ? 0 : 4;
    const whole = Math.floor((shift + utf8.length) / 3) * 4;
    const stable = encoded.slice(head, whole);
    if (stable.length >= 8) needles.push({ name: `base64/${shift}`, bytes: Buffer.from(stable, "latin1") });
  }
  return needles;
}

class Scan {
  readonly hits: string[] = [];
  private inflated = 0;

  constructor(private readonly needles: readonly Needle[]) {}

  async buffer(bytes: Buffer, where: string, depth: number): Promise<void> {
    this.raw(bytes, where);
    if (depth >= MAX_DEPTH) return;
    await this.streams(bytes, where, depth);
    if (looksLikeZip(bytes)) await this.zip(bytes, where, depth);
    if (depth === 0 && isPdf(bytes)) await this.pdf(bytes, where, depth);
  }

  private raw(bytes: Buffer, where: string): void {
    for (const n of this.needles) {
      const at = bytes.indexOf(n.bytes);
      if (at >= 0) this.hits.push(`${where}: ${n.name} at byte ${at}`);
    }
  }

  /** Every zlib (RFC 1950) and gzip stream that starts anywhere in the bytes. */
  private async streams(bytes: Buffer, where: string, depth: number): Promise<void> {
    for (let i = 0; i + 2 < bytes.length; i++) {
      const a = bytes[i]!;
      const b = bytes[i + 1]!;
      let out: Buffer | null = null;
      let kind = "";
      if (a === 0x78 && (b === 0x01 || b === 0x5e || b === 0x9c || b === 0xda)) {
        out = this.inflate(() => zlib.inflateSync(bytes.subarray(i), inflateOptions()));
        kind = "zlib";
      } else if (a === 0x1f && b === 0x8b && bytes[i + 2] === 0x08) {
        out = this.inflate(() => zlib.gunzipSync(bytes.subarray(i), inflateOptions()));
        kind = "gzip";
      } else if (a === 0x50 && b === 0x4b && bytes[i + 2] === 0x03 && bytes[i + 3] === 0x04) {
        // A zip local header: its data is raw deflate. Cheap to try here even when the zip's
        // central directory is gone and yauzl cannot open it.
        const nameLen = bytes.readUInt16LE(Math.min(i + 26, bytes.length - 2));
        const extraLen = bytes.readUInt16LE(Math.min(i + 28, bytes.length - 2));
        out = this.inflate(() => zlib.inflateRawSync(bytes.subarray(i + 30 + nameLen + extraLen), inflateOptions()));
        kind = "zip local entry";
      }
      if (out != null && out.length > 0) await this.buffer(out, `${where} > ${kind} at byte ${i}`, depth + 1);
    }
  }

  private inflate(fn: () => Buffer): Buffer | null {
    if (this.inflated >= MAX_TOTAL) return null;
    try {
      const out = fn();
      this.inflated += out.length;
      return out;
    } catch {
      // Most candidate offsets are not streams at all: a failed inflate is the normal case.
      return null;
    }
  }

  private async zip(bytes: Buffer, where: string, depth: number): Promise<void> {
    const entries = await readZip(bytes).catch(() => []);
    for (const e of entries) await this.buffer(e.data, `${where} > zip entry ${e.name}`, depth + 1);
  }

  private async pdf(bytes: Buffer, where: string, depth: number): Promise<void> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "marker-scan-"));
    try {
      const src = path.join(dir, "in.pdf");
      const dst = path.join(dir, "qdf.pdf");
      await fsp.writeFile(src, bytes);
      // Exit code 3: qpdf succeeded with warnings (a damaged file it repaired).
      await run("qpdf", ["--qdf", "--object-streams=disable", "--stream-data=uncompress", src, dst], { okCodes: [3] });
      await this.buffer(await fsp.readFile(dst), `${where} > qpdf --qdf`, depth + 1);
      // A PDF attached to this one is a PDF of its own (compressed again inside): every stream
      // that decodes to a PDF is scanned as one, attachments at any level included.
      const prefix = path.join(dir, "stream");
      const json = ["--json-output=2", "--json-key=qpdf", "--json-stream-data=file", `--json-stream-prefix=${prefix}`, "--decode-level=specialized"];
      await run("qpdf", [...json, src, path.join(dir, "objects.json")], { okCodes: [3] });
      for (const name of await fsp.readdir(dir)) {
        if (!name.startsWith("stream-") || depth + 1 >= MAX_DEPTH) continue;
        const data = await fsp.readFile(path.join(dir, name));
        if (data.subarray(0, 5).toString("latin1") === "%PDF-") await this.pdf(data, `${where} > attached PDF (${name})`, depth + 1);
      }
    } catch (err) {
      this.hits.push(`${where}: PDF could not be uncompressed by qpdf (${String(err)})`);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}

function inflateOptions(): zlib.ZlibOptions {
  // Sync flush: a stream cut short (or one we only found the middle of) still yields what it has.
  return { maxOutputLength: MAX_INFLATE, finishFlush: zlib.constants.Z_SYNC_FLUSH };
}

function looksLikeZip(bytes: Buffer): boolean {
  // End-of-central-directory record anywhere (a zip may be appended to another file).
  return bytes.indexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) >= 0;
}

function isPdf(bytes: Buffer): boolean {
  return bytes.subarray(0, 1024).indexOf("%PDF-") >= 0;
}

interface ZipEntry {
  name: string;
  data: Buffer;
}

function readZip(bytes: Buffer): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: false, strictFileNames: false }, (err, zip) => {
      if (err != null) return reject(err);
      const entries: ZipEntry[] = [];
      zip.on("error", reject);
      zip.on("end", () => resolve(entries));
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e != null) {
            // An entry we cannot decode is still scanned as stored bytes by the raw pass.
            zip.readEntry();
            return;
          }
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", () => zip.readEntry());
          stream.on("end", () => {
            entries.push({ name: entry.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
