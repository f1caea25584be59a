import fs from "node:fs";
import fsp from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import tarStream from "tar-stream";
import { gzipHoldsTar } from "../../cleaners/archive/tar.js";
import { describeName } from "../../cleaners/archive/member-name.js";
import { ByteCounter } from "../../cleaners/unpack-guards.js";
import { copyCounted } from "./inner-copy.js";
import type { InnerSource } from "./inner-types.js";

/** Members handed over from one archive; the rest are counted, not looked at. */
const MAX_LISTED = 10_000;
/**
 * Bytes unpacked from a gzip before the walk stops (the members skipped are read through too):
 * a gzip of zeros is not walked for ever. The archive cleaner's own bound is the same.
 */
const MAX_UNPACKED = 512 * 1024 * 1024;

/** A tar's members (also inside a .tar.gz, which ExifTool names GZIP), and the one file of any other gzip. */
export function tarSourceFor(fileType: string): InnerSource | null {
  if (fileType === "TAR") return (file, _scratch, visit) => eachTarMember(file, false, visit);
  if (fileType === "GZIP") return gzipSource;
  return null;
}

const gzipSource: InnerSource = async (file, scratch, visit) => {
  if (await gzipHoldsTar(file)) return eachTarMember(file, true, visit);
  const name = await gzipFileName(file);
  await visit({
    name: name != null && name !== "" ? describeName(name) : "the compressed file",
    claimedSize: 0,
    copyTo: (dest, maxBytes) => copyCounted(async () => gunzipped(file), dest, maxBytes),
  });
  return 0;
};

/** A gzip's content as a stream; the file closes with it, however it ends (a copy stopped at its cap). */
function gunzipped(file: string): Readable {
  const raw = fs.createReadStream(file);
  const gunzip = zlib.createGunzip();
  raw.on("error", (err) => gunzip.destroy(err));
  gunzip.on("close", () => raw.destroy());
  return raw.pipe(gunzip);
}

/** The name a gzip's header gives the file it holds (its FNAME field), if any. */
async function gzipFileName(file: string): Promise<string | null> {
  const handle = await fsp.open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.length < 10) return null;
    const flags = head[3]!;
    let at = 10;
    if ((flags & 0x04) !== 0) at += 2 + (head.length >= 12 ? head.readUInt16LE(10) : 0);
    if ((flags & 0x08) === 0) return null;
    const end = head.indexOf(0, at);
    return end < 0 ? null : head.toString("latin1", at, end);
  } finally {
    await handle.close();
  }
}

/** A member as tar-stream hands it over (the fields read here). */
type TarEntry = Readable & { header: { name: string; type?: string | null; size?: number } };

/**
 * Regular files of a tar, one at a time as the archive is read. A damaged archive, or a member
 * cut at the copy's cap (which ends the stream), ends the walk: what came before is what it shows.
 */
async function eachTarMember(file: string, gzip: boolean, visit: Parameters<InnerSource>[2]): Promise<number> {
  const extract = tarStream.extract();
  let unpacked = 0;
  const stages: NodeJS.ReadWriteStream[] = gzip
    ? [
        zlib.createGunzip(),
        new ByteCounter((n) => {
          unpacked += n;
          if (unpacked > MAX_UNPACKED) throw new Error("past the unpacking bound");
        }),
      ]
    : [];
  const feeding = pipeline([fs.createReadStream(file), ...stages, extract] as unknown as [Readable, NodeJS.WritableStream]).catch(() => undefined);
  let listed = 0;
  let unlisted = 0;
  try {
    for await (const item of extract) {
      const entry = item as unknown as TarEntry;
      const { type, size, name } = entry.header;
      const regular = (type === "file" || type === "contiguous-file") && (size ?? 0) > 0;
      if (!regular || listed >= MAX_LISTED) {
        if (regular) unlisted += 1;
        entry.resume();
        continue;
      }
      listed += 1;
      let copied = false;
      await visit({
        name: describeName(name),
        claimedSize: size ?? 0,
        copyTo: (dest, maxBytes) => {
          copied = true;
          return copyCounted(async () => entry, dest, maxBytes);
        },
      });
      if (!copied) entry.resume();
    }
  } catch {
    // Damaged, or stopped by a member's cap: the walk ends here.
  } finally {
    extract.destroy();
    await feeding;
  }
  return unlisted;
}
