import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type yauzl from "yauzl";
import { BadFileError, TooComplexError } from "../errors.js";
import { ByteCounter, isSettledError } from "../unpack-guards.js";
import { notZip, openZip, openZipEntry, zipEntries } from "../zip-file.js";

/**
 * One entry of a ZIP archive, inflated into the work folder. Its name is never used to build a
 * path on disk (zip-slip): `file` is a generated name.
 */
export type ZipEntry = { name: string; directory: true } | FileEntry;

export interface FileEntry {
  name: string;
  directory: false;
  /** Where its inflated bytes are. */
  file: string;
  /** Bytes really inflated, counted as they came (headers are not trusted). */
  size: number;
}

export interface ZipLimits {
  maxEntries: number;
  /** All entries together, inflated. */
  maxTotalBytes: number;
  /** One XML part, inflated: XML parts are parsed in memory afterwards. */
  maxXmlBytes: number;
}

/**
 * Office files are small; a ZIP that inflates past these is a decompression bomb, refused before
 * it fills the disk or the memory.
 */
export const OFFICE_LIMITS: ZipLimits = { maxEntries: 10_000, maxTotalBytes: 512 * 1024 * 1024, maxXmlBytes: 100 * 1024 * 1024 };

const BOMB = "the archive inflates to more data than allowed";

/** True for the parts read as XML (the limit for them is tighter). */
export function isXmlName(name: string): boolean {
  return /\.(xml|rels|rdf)$/i.test(name);
}

/**
 * Inflates every entry of a ZIP into `workDir` under generated names, counting the bytes that
 * really come out of the inflater and stopping at the limits, whatever the headers claim.
 */
export async function extractZip(input: string, workDir: string, limits: ZipLimits = OFFICE_LIMITS): Promise<ZipEntry[]> {
  const zip = await openZip(input);
  try {
    const entries: ZipEntry[] = [];
    const seen = new Set<string>();
    const budget = { total: 0 };
    for await (const entry of zipEntries(zip)) {
      const e = await readEntry(zip, entry, path.join(workDir, `z${entries.length}`), limits, budget);
      // Two entries of one name are read differently by different programs: one of them could
      // carry what the other hides. OPC part names are case-insensitive.
      const key = e.name.toLowerCase();
      if (seen.has(key)) throw new BadFileError("The archive holds two entries with the same name.");
      seen.add(key);
      entries.push(e);
      if (entries.length > limits.maxEntries) throw new TooComplexError("the archive holds too many entries");
    }
    return entries;
  } catch (err) {
    // A failing disk is our problem, not a bad file: only archive errors become a 422.
    throw isSettledError(err) ? err : notZip(err);
  } finally {
    zip.close();
  }
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, file: string, limits: ZipLimits, budget: { total: number }): Promise<ZipEntry> {
  const name = entry.fileName;
  if (name.endsWith("/")) return { name, directory: true };
  if (entry.isEncrypted()) throw new BadFileError("The document is encrypted.");
  const max = isXmlName(name) ? limits.maxXmlBytes : limits.maxTotalBytes;
  // A claim over the limit is refused at once; a claim under it is never trusted.
  if (entry.uncompressedSize > max) throw new TooComplexError(BOMB);
  const counter = { size: 0 };
  const stream = await openZipEntry(zip, entry);
  await pipeline(
    stream,
    new ByteCounter((n) => {
      counter.size += n;
      budget.total += n;
      if (counter.size > max || budget.total > limits.maxTotalBytes) throw new TooComplexError(BOMB);
    }),
    fs.createWriteStream(file, { flags: "wx" }),
  );
  return { name, directory: false, file, size: counter.size };
}
