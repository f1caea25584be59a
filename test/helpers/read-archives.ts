import { Readable } from "node:stream";
import zlib from "node:zlib";
import tarStream from "tar-stream";
import yauzl from "yauzl";

/** A ZIP member with the header fields that cleaning must neutralise. */
export interface ZipRead {
  name: string;
  data: Buffer;
  /** DOS date and time as stored. */
  dosDate: number;
  dosTime: number;
  comment: string;
  extraFieldLength: number;
  /** The Unix mode in the external attributes. */
  mode: number;
}

/** Every member of a ZIP (folders with empty data), and the archive comment. */
export function readZip(bytes: Buffer): Promise<{ comment: string; members: ZipRead[] }> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err != null) return reject(err);
      const members: ZipRead[] = [];
      zip.on("error", reject);
      zip.on("end", () => resolve({ comment: String(zip.comment), members }));
      zip.on("entry", (e: yauzl.Entry) => {
        const base = {
          name: e.fileName,
          dosDate: e.lastModFileDate,
          dosTime: e.lastModFileTime,
          comment: String(e.fileComment),
          extraFieldLength: e.extraFieldLength,
          mode: e.externalFileAttributes >>> 16,
        };
        if (e.fileName.endsWith("/")) {
          members.push({ ...base, data: Buffer.alloc(0) });
          return zip.readEntry();
        }
        zip.openReadStream(e, (err2, stream) => {
          if (err2 != null) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", reject);
          stream.on("end", () => {
            members.push({ ...base, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** A tar member's header as tar-stream decodes it (pax records included), and its data. */
export interface TarRead {
  header: { name: string; type?: string | null; mode?: number; uid?: number; gid?: number; uname?: string; gname?: string; mtime?: Date; pax?: Record<string, string> | null };
  data: Buffer;
}

export async function readTar(bytes: Buffer, gzip = false): Promise<TarRead[]> {
  const extract = tarStream.extract();
  Readable.from([gzip ? zlib.gunzipSync(bytes) : bytes]).pipe(extract);
  const out: TarRead[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ header: entry.header as TarRead["header"], data: Buffer.concat(chunks) });
  }
  return out;
}
