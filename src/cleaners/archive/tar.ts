import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import tarStream from "tar-stream";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { ByteCounter, isSettledError } from "../unpack-guards.js";
import { cleanGzippedFile } from "./gzip-file.js";
import { ArchiveBudget } from "./limits.js";
import { checkMemberName, describeName, NameSet } from "./member-name.js";
import { cleanMembers, type Member, type OutMember } from "./members.js";

/** What ExifTool reads of a gzip header that the format needs (the time only when it is unset). */
const GZIP_STRUCTURE: ReadonlySet<string> = new Set(["Compression", "Flags", "ExtraFlags", "OperatingSystem"]);
const GZIP_NO_TIME = "0000:00:00 00:00:00";

/**
 * tar and tar.gz archives, member by member. The clean archive is written anew: every member under
 * its name, time 0, owner 0/0 without names, modes 644/755, no pax or GNU extension records
 * (which can carry comments, extended attributes and access times); a gzip layer without name,
 * comment or time. A gzip of one other file is cleaned as a one-member archive (gzip-file.ts).
 */
export const tarArchiveCleaner: Cleaner = {
  name: "tar",
  // ExifTool names a .tar.gz "GZIP", and a gzip of any other file too.
  fileTypes: ["TAR", "GZIP"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const gzip = ctx.fileType === "GZIP";
    if (gzip && !(await gzipHoldsTar(ctx.input))) return cleanGzippedFile(ctx);
    const members = await readTarMembers(ctx.input, gzip, ctx.workDir);
    const { out, outcome } = await cleanMembers(ctx, members);
    await writeTar(ctx.output, out, gzip);
    return outcome;
  },
  isStructural(t: FoundTag): boolean {
    if (t.group !== "ZIP") return false;
    return GZIP_STRUCTURE.has(t.tag) || (t.tag === "ModifyDate" && t.value === GZIP_NO_TIME);
  },
};

/** A member as tar-stream hands it over (the fields read here). */
type TarEntry = Readable & { header: { name: string; type?: string | null; size?: number } };

const BLOCK = 512;
export const TAR_BLOCK = BLOCK;

/** True when the first 512 bytes inside the gzip are a tar header (its checksum adds up); the findings ask it too. */
export async function gzipHoldsTar(input: string): Promise<boolean> {
  const handle = await fsp.open(input, "r");
  let head: Buffer;
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const inner = await gunzippedStart(head, BLOCK);
  return inner.length >= BLOCK && isTarHeader(inner.subarray(0, BLOCK));
}

/**
 * The first `n` bytes (or what there is) inflated from the start of a gzip: a cut stream still
 * yields what it has. Inflating stops there: 64 KiB of a gzip of zeros would inflate to 64 MB,
 * which a bounded whole-buffer inflate refused, so a .tar.gz starting with such a member was not
 * taken for a tar.
 */
function gunzippedStart(gz: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const got: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      gunzip.destroy();
      resolve(Buffer.concat(got).subarray(0, n));
    };
    gunzip.on("data", (chunk: Buffer) => {
      got.push(chunk);
      size += chunk.length;
      if (size >= n) done();
    });
    gunzip.on("error", done);
    gunzip.on("end", done);
    gunzip.end(gz);
  });
}

/** Whether a block is a tar header, of any format: its checksum adds up. */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  const stored = parseInt(block.subarray(148, 156).toString("latin1").replace(/[\0 ]+$/, "").trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored;
}

async function readTarMembers(input: string, gzip: boolean, workDir: string): Promise<Member[]> {
  const members: Member[] = [];
  const names = new NameSet();
  const budget = new ArchiveBudget();
  // Pre-POSIX (V7) headers lack the "ustar" magic; their fields are the same as far as they go.
  // tar-stream reads them with this option, which its type declarations leave out.
  const options: Parameters<typeof tarStream.extract>[0] & { allowUnknownFormat: boolean } = { allowUnknownFormat: true };
  const extract = tarStream.extract(options);
  // The decompressed stream is counted as well: zeros after the end of the archive are not
  // members, but a gzip of them is still a bomb.
  const stages: NodeJS.ReadWriteStream[] = gzip ? [zlib.createGunzip(), new ByteCounter((n) => budget.unpacked(n))] : [];
  const feeding = pipeline([fs.createReadStream(input), ...stages, extract] as unknown as [Readable, NodeJS.WritableStream]).then(
    () => null,
    (err: unknown) => err,
  );
  try {
    for await (const entry of extract) {
      members.push(await readMember(entry as unknown as TarEntry, path.join(workDir, `m${members.length}`), names, budget));
    }
  } catch (err) {
    extract.destroy();
    await feeding;
    throw classify(err);
  }
  const fed = await feeding;
  if (fed != null) throw classify(fed);
  return members;
}

async function readMember(entry: TarEntry, file: string, names: NameSet, budget: ArchiveBudget): Promise<Member> {
  budget.member();
  const { name, type } = entry.header;
  checkMemberName(name);
  if (type === "symlink" || type === "link") throw new BadFileError(`The archive holds a link (${describeName(name)}).`);
  if (type === "directory") {
    names.add(name);
    entry.resume();
    return { name, kind: "directory" };
  }
  if (type !== "file" && type !== "contiguous-file") throw new BadFileError(`The archive holds a special file (${describeName(name)}).`);
  names.add(name);
  budget.claim(entry.header.size ?? 0);
  let size = 0;
  await pipeline(
    entry,
    new ByteCounter((n) => {
      size += n;
      budget.add(n);
    }),
    fs.createWriteStream(file, { flags: "wx" }),
  );
  return { name, kind: "file", file, size };
}

function classify(err: unknown): Error {
  if (isSettledError(err)) return err;
  return new BadFileError("The file is not a readable tar archive.", err);
}

const EPOCH = new Date(0);

async function writeTar(output: string, members: readonly OutMember[], gzip: boolean): Promise<void> {
  const pack = tarStream.pack();
  const stages: NodeJS.ReadWriteStream[] = gzip ? [zlib.createGzip()] : [];
  const writing = pipeline([pack, ...stages, fs.createWriteStream(output, { flags: "wx" })] as unknown as [Readable, NodeJS.WritableStream]);
  try {
    for (const m of members) {
      const owner = { mtime: EPOCH, uid: 0, gid: 0, uname: "", gname: "" };
      if (m.kind === "directory") {
        pack.entry({ ...owner, name: m.name, type: "directory", mode: 0o755 });
        continue;
      }
      const { size } = await fsp.stat(m.file);
      await pipeline(fs.createReadStream(m.file), pack.entry({ ...owner, name: m.name, type: "file", mode: 0o644, size }));
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
  }
  await writing;
}
