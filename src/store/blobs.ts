import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Where cleaned files live. The folder store is the embedded default; S3 implements the same. */
export interface BlobStore {
  /**
   * Takes a local file in under `key`. The folder store moves it (a rename: no byte is copied)
   * when it lies on the same filesystem, as the service's temp files do (both live in DATA_DIR);
   * other stores stream a copy. The caller removes `localFile` afterwards either way, and must
   * tolerate it being gone already.
   */
  put(key: string, localFile: string): Promise<void>;
  /** Rejects with an error whose `code` is "ENOENT" when no blob has that key. */
  get(key: string): Promise<Readable>;
  /** Deleting a key that is already gone succeeds: several sweepers may race. */
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  /** A short-lived URL the client may fetch the blob from directly; only stores configured for it have one. */
  signedDownloadUrl?(key: string, opts: { mimeType: string; contentDisposition: string; expiresInSeconds: number }): Promise<string>;
  close?(): Promise<void>;
}

const SAFE_KEY = /^[a-zA-Z0-9._-]+$/;
const DOWNLOAD_CHUNK = 1024 * 1024;

export function createFolderBlobStore(dir: string): BlobStore {
  fs.mkdirSync(dir, { recursive: true });
  const pathOf = (key: string): string => {
    // Keys are generated UUIDs; refuse anything else rather than trust it near a path.
    if (!SAFE_KEY.test(key)) throw new Error(`unsafe blob key ${JSON.stringify(key)}`);
    return path.join(dir, key);
  };
  return {
    async put(key, localFile) {
      const dest = pathOf(key);
      // A rename is atomic: the stored file appears whole or not at all, even after a crash.
      try {
        await fsp.rename(localFile, dest);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      }
      // DATA_DIR's `files` folder mounted from another filesystem: copy, then rename.
      const partial = `${dest}.partial`;
      try {
        await pipeline(fs.createReadStream(localFile), fs.createWriteStream(partial, { flags: "wx" }));
        await fsp.rename(partial, dest);
      } catch (err) {
        await fsp.rm(partial, { force: true });
        throw err;
      }
    },
    async get(key) {
      const p = pathOf(key);
      const handle = await fsp.open(p, "r");
      try {
        // A mebibyte a read rather than the default 64 KiB: a 16 MB download is 16 reads and chunks,
        // not 256. Reading to the size (stored files never change) sizes the last read to what is
        // left: an open-ended stream reads a whole mebibyte there, copies the short read into a
        // buffer of its own length, then reads once more to find the end (2.7 MB allocated and
        // a copy for a 0.7 MB file).
        const { size } = await handle.stat();
        if (size === 0) return handle.createReadStream();
        return handle.createReadStream({ start: 0, end: size - 1, highWaterMark: Math.min(DOWNLOAD_CHUNK, size) });
      } catch (err) {
        await handle.close();
        throw err;
      }
    },
    async delete(key) {
      await fsp.rm(pathOf(key), { force: true });
    },
    async ping() {
      await fsp.access(dir, fs.constants.W_OK);
    },
  };
}
