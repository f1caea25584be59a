import fs from "node:fs";
import fsp from "node:fs/promises";
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
  /** The markup of all entries together, inflated (see markupBudget); none: only the limits above. */
  maxMarkupBytes?: number;
}

/**
 * Office files are small; a ZIP that inflates past these is a decompression bomb, refused before
 * it fills the disk or the memory.
 */
export const OFFICE_LIMITS: ZipLimits = { maxEntries: 10_000, maxTotalBytes: 512 * 1024 * 1024, maxXmlBytes: 100 * 1024 * 1024 };

const BOMB = "the archive inflates to more data than allowed";

/**
 * The markup a document may inflate to: 8 MB, and 32 bytes for each byte of the file. Its cleaning
 * parses every byte of it three times (the rewrite, then the final text of the original and of the
 * copy), ~0.5 s of CPU a megabyte: a 55 kB XLSX whose shared strings inflated to 22 MB (1.3
 * million `<si><t>a</t></si>`, 400 times its size) cost 11-14 s of CPU, and a few at once held
 * every worker. Real documents' markup is 4 to 14 times their size (264 from Tika's and others'
 * test files; a 100,000-row sheet written by LibreOffice 9, a sheet of a million zeros 21); the 8 MB
 * keep a small one of very repetitive text (20,000 identical paragraphs: 5.5 MB from 29 kB). Past
 * it, the file is too complex as it inflates, before any of it is parsed: the work a file can ask
 * for grows with its size instead of with its compression.
 */
export function markupBudget(fileSize: number): number {
  return 8 * 1024 * 1024 + 32 * fileSize;
}

/** The parts of an Excel binary workbook (XLSB) that are records, not XML; files embedded under `xl/embeddings/` are files of their own. */
export const XLSB_RECORD_PART = /^xl\/(?!embeddings\/).+\.bin$/i;

/**
 * True for the parts parsed as markup: XML, and the (X)HTML chapters of an EPUB; and an XLSB's
 * records, which are walked and rewritten as its XML would be (a sheet of a million zeros
 * inflates 19 times, a sheet of 100,000 rows of varied cells 2.5 times).
 */
function isMarkupName(name: string): boolean {
  return isXmlName(name) || /\.(x?html?|opf|ncx|svg)$/i.test(name) || XLSB_RECORD_PART.test(name);
}

/** True for the parts read as XML (the limit for them is tighter). */
export function isXmlName(name: string): boolean {
  return /\.(xml|rels|rdf)$/i.test(name);
}

/** extractZip for a document to clean, its markup within the budget of its size (see markupBudget). */
export async function extractDocument(input: string, workDir: string): Promise<ZipEntry[]> {
  const { size } = await fsp.stat(input);
  return extractZip(input, workDir, { ...OFFICE_LIMITS, maxMarkupBytes: markupBudget(size) });
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
    const budget = { total: 0, markup: 0 };
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

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, file: string, limits: ZipLimits, budget: { total: number; markup: number }): Promise<ZipEntry> {
  const name = entry.fileName;
  if (name.endsWith("/")) return { name, directory: true };
  if (entry.isEncrypted()) throw new BadFileError("The document is encrypted.");
  const max = isXmlName(name) ? limits.maxXmlBytes : limits.maxTotalBytes;
  const markupLimit = isMarkupName(name) ? limits.maxMarkupBytes : undefined;
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
      if (markupLimit != null && (budget.markup += n) > markupLimit) throw new TooComplexError(`the document's markup inflates past ${markupLimit} bytes, more than its size allows`);
    }),
    fs.createWriteStream(file, { flags: "wx" }),
  );
  return { name, directory: false, file, size: counter.size };
}
