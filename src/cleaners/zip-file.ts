import fs from "node:fs";
import { Readable } from "node:stream";
import yauzl from "yauzl";
import { BadFileError } from "./errors.js";

/** The one reason every ZIP-based reader gives for an archive it cannot read. */
export function notZip(cause: unknown): BadFileError {
  return new BadFileError("The file is not a readable ZIP archive.", cause);
}

/**
 * Opens a ZIP whose entries are then asked for one at a time (`zipEntries`): memory stays flat
 * whatever their number, and each entry's inflated size is checked against its header's.
 * `decodeStrings: false` leaves names as bytes, for a reader that checks them itself;
 * `validateEntrySizes: false` lets a reader that only looks take what inflates. An archive
 * followed by a few bytes of something else (a line feed a transfer added: Apache POI's
 * bug62513.pptx), which yauzl refuses, is read as the archive it is, as unzip and Office read it.
 */
export async function openZip(file: string, options: { decodeStrings?: boolean; validateEntrySizes?: boolean } = {}): Promise<yauzl.ZipFile> {
  const o = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, ...options };
  // The descriptor is the service's own, closed once: yauzl.open closes its own late when it
  // fails, which could close a descriptor opened meanwhile under the same number. An archive
  // opened closes it with its reader.
  const fd = await new Promise<number>((resolve, reject) => fs.open(file, "r", (e, d) => (e != null ? reject(notZip(e)) : resolve(d))));
  try {
    try {
      return await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromFd(fd, o, (e, zip) => (e != null ? reject(e) : resolve(zip))));
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith("Invalid comment length"))) throw err;
      const end = await archiveEnd(fd);
      if (end == null) throw err;
      return await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromRandomAccessReader(new FileStart(fd), end, o, (e, zip) => (e != null ? reject(e) : resolve(zip))));
    }
  } catch (err) {
    fs.close(fd, () => undefined);
    throw notZip(err);
  }
}

/** The end-of-central-directory record's fixed part, and how far before a file's end yauzl looks for it (a comment of up to 65,535 bytes, a ZIP64 locator). */
const EOCD = 22;
const EOCD_SIGNATURE = 0x06054b50;
const EOCD_WINDOW = EOCD + 0xffff + 20;

/**
 * Where the archive ends in a file with bytes after it: the end of the last end-of-central-directory
 * record whose comment fits in the file, within the window yauzl searches; null when none does.
 */
async function archiveEnd(fd: number): Promise<number | null> {
  const { size } = await new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (e, st) => (e != null ? reject(e) : resolve(st))));
  const length = Math.min(size, EOCD_WINDOW);
  const tail = Buffer.alloc(length);
  await new Promise<void>((resolve, reject) => fs.read(fd, tail, 0, length, size - length, (e) => (e != null ? reject(e) : resolve())));
  for (let i = length - EOCD; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD_SIGNATURE) continue;
    const end = i + EOCD + tail.readUInt16LE(i + 20);
    if (end <= length) return size - length + end;
  }
  return null;
}

/**
 * An open file yauzl reads through `fromRandomAccessReader`, as long as it is told the file is;
 * the file is closed with the archive. Its streams read with `fs.read` (fs.ReadStream would close
 * the shared descriptor when yauzl destroys one).
 */
class FileStart extends yauzl.RandomAccessReader {
  constructor(private readonly fd: number) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.fd;
    let at = start;
    return new Readable({
      read(size): void {
        const length = Math.min(size, end - at);
        if (length <= 0) {
          this.push(null);
          return;
        }
        fs.read(fd, Buffer.allocUnsafe(length), 0, length, at, (err, bytes, buffer) => {
          if (err != null) this.destroy(err);
          else if (bytes === 0) this.push(null);
          else {
            at += bytes;
            this.push(buffer.subarray(0, bytes));
          }
        });
      },
    });
  }

  override close(callback: (err: Error | null) => void): void {
    fs.close(this.fd, (err) => callback(err ?? null));
  }
}

/** The entries one at a time: the next is asked for only once the caller is done with this one. */
export async function* zipEntries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const next = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const cleanup = (): void => {
        zip.off("entry", onEntry).off("end", onEnd).off("error", onError);
      };
      const onEntry = (e: yauzl.Entry): void => {
        cleanup();
        resolve(e);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(null);
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(notZip(err));
      };
      zip.on("entry", onEntry).on("end", onEnd).on("error", onError);
      zip.readEntry();
    });
    if (next == null) return;
    yield next;
  }
}

/**
 * Compression methods of the ZIP specification (APPNOTE 4.4.5) that yauzl, and so the service,
 * cannot unpack: PKZIP 1's and old Info-ZIP's, and the newer ones of 7-Zip and WinZip.
 */
const OTHER_METHODS: Readonly<Record<number, string>> = {
  1: "shrink",
  2: "reduce",
  3: "reduce",
  4: "reduce",
  5: "reduce",
  6: "implode",
  9: "Deflate64",
  10: "PKWARE DCL implode",
  12: "bzip2",
  14: "LZMA",
  18: "IBM TERSE",
  19: "IBM LZ77",
  93: "Zstandard",
  94: "MP3",
  95: "XZ",
  96: "JPEG",
  97: "WavPack",
  98: "PPMd",
};

/** An entry's inflated bytes as a stream; one stored or deflated, the only methods yauzl unpacks. */
export function openZipEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    const method = OTHER_METHODS[entry.compressionMethod] ?? `method ${entry.compressionMethod}`;
    return Promise.reject(new BadFileError(`The ZIP holds a member compressed with a method this service cannot unpack (${method}).`));
  }
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err != null) reject(notZip(err));
      else resolve(stream);
    });
  });
}
