import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { FIXED_MTIME_EXIFTOOL, writeZip } from "../office/zip-write.js";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome, Cleaner, FoundTag } from "../types.js";
import { ByteCounter, isSettledError } from "../unpack-guards.js";
import { notZip, openZip, openZipEntry, zipEntries } from "../zip-file.js";
import { ArchiveBudget } from "./limits.js";
import { checkMemberName, describeName, NameSet } from "./member-name.js";
import { cleanMembers, type Member } from "./members.js";

/** What ExifTool reads of a ZIP (its first member's local header) that the format itself needs. */
const ZIP_STRUCTURE: ReadonlySet<string> = new Set([
  "ZipRequiredVersion",
  "ZipBitFlag",
  "ZipCompression",
  "ZipCRC",
  "ZipCompressedSize",
  "ZipUncompressedSize",
  "ZipFileName",
]);

/**
 * ZIP archives, member by member: each member cleaned by its own cleaner and written into a new
 * archive under its name, with fixed times and modes and no comments or extra fields (writeZip).
 */
export const zipArchiveCleaner: Cleaner = {
  name: "zip",
  fileTypes: ["ZIP"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    const members = await readZipMembers(ctx.input, ctx.workDir);
    const { out, outcome } = await cleanMembers(ctx, members);
    await writeZip(
      ctx.output,
      out.map((m) => ({ name: m.name, source: m.kind === "directory" ? "directory" : { file: m.file } })),
    );
    return outcome;
  },
  isStructural(t: FoundTag): boolean {
    if (t.group !== "ZIP") return false;
    return ZIP_STRUCTURE.has(t.tag) || (t.tag === "ZipModifyDate" && t.value === FIXED_MTIME_EXIFTOOL);
  },
};

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** "Version made by" hosts whose external attributes hold a Unix mode (Unix, macOS). */
const UNIX_HOSTS: ReadonlySet<number> = new Set([3, 19]);

/** Unpacks every member into `workDir` under generated names, refusing what the contract refuses. */
async function readZipMembers(input: string, workDir: string): Promise<Member[]> {
  // Names are decoded and checked here, so that a bad one gets its own reason rather than
  // yauzl's generic error.
  const zip = await openZip(input, { decodeStrings: false });
  try {
    const members: Member[] = [];
    const names = new NameSet();
    const budget = new ArchiveBudget();
    // The central directory's own count: refused before anything is unpacked when it is over
    // (the members are still counted one by one: the count is not trusted when it is under).
    budget.claimMembers(zip.entryCount);
    for await (const entry of zipEntries(zip)) members.push(await readMember(zip, entry, path.join(workDir, `m${members.length}`), names, budget));
    return members;
  } catch (err) {
    throw isSettledError(err) ? err : notZip(err);
  } finally {
    zip.close();
  }
}

async function readMember(zip: yauzl.ZipFile, entry: yauzl.Entry, file: string, names: NameSet, budget: ArchiveBudget): Promise<Member> {
  budget.member();
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
  checkMemberName(name);
  names.add(name);
  if (entry.isEncrypted()) throw new BadFileError(`The archive holds an encrypted member (${describeName(name)}).`);
  const mode = UNIX_HOSTS.has(entry.versionMadeBy >> 8) ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  if (mode === S_IFLNK) throw new BadFileError(`The archive holds a link (${describeName(name)}).`);
  if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) throw new BadFileError(`The archive holds a special file (${describeName(name)}).`);
  if (name.endsWith("/")) return { name, kind: "directory" };
  budget.claim(entry.uncompressedSize);
  const stream = await openZipEntry(zip, entry);
  let size = 0;
  await pipeline(
    stream,
    new ByteCounter((n) => {
      size += n;
      budget.add(n);
    }),
    fs.createWriteStream(file, { flags: "wx" }),
  );
  return { name, kind: "file", file, size };
}
