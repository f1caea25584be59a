import type { Readable } from "node:stream";
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
 * `validateEntrySizes: false` lets a reader that only looks take what inflates.
 */
export function openZip(file: string, options: { decodeStrings?: boolean; validateEntrySizes?: boolean } = {}): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, ...options }, (err, zip) => {
      if (err != null) reject(notZip(err));
      else resolve(zip);
    });
  });
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
