import fsp from "node:fs/promises";
import path from "node:path";
import { TooComplexError } from "../../cleaners/errors.js";
import { type Screened, screenHere } from "../../cleaners/screen.js";
import type { ExifToolAccess } from "../../cleaners/types.js";
import { type RawTags, readAll } from "../read-task.js";
import { aiFindings, provenanceFindings } from "./ai-provenance.js";
import { audioSourceFor } from "./inner-audio.js";
import { identifierFindings } from "./identifiers.js";
import { isBareJpeg, isBareJpegFile } from "./inner-bare-jpeg.js";
import { icoSource } from "./inner-ico.js";
import { type InnerFinding, titledByFile } from "./inner-group.js";
import { legacySourceFor } from "./inner-legacy.js";
import type { InnerSource } from "./inner-types.js";
import { listedPdfSource, type PdfAttachedFile, pdfSourceOf } from "./inner-pdf.js";
import { rtfSource } from "./inner-rtf.js";
import { tarSourceFor } from "./inner-tar.js";
import { psdSource } from "./inner-psd.js";
import { makeDir } from "../../make-dir.js";
import { zipSourceFor } from "./inner-zip.js";
import { drawingFindings } from "./drawing.js";
import { locationFindings } from "./location.js";
import { deviceFindings, peopleFindings } from "./people-device.js";
import { commentFindings, pictureFindings } from "./tag-hidden.js";
import { softwareFindings, timeFindings } from "./time-software.js";
import { INNER_LOOK_LIMITS, notLookedTitle } from "./inner-limits.js";
import { type Finding, type TagEntry, tagEntries } from "./types.js";

/** What ExifTool's read of a file says about it, in the order `findingsOf` ranks equal findings. */
const TAG_FINDERS: ReadonlyArray<(entries: readonly TagEntry[]) => Finding[]> = [
  locationFindings,
  peopleFindings,
  deviceFindings,
  timeFindings,
  softwareFindings,
  identifierFindings,
  aiFindings,
  provenanceFindings,
  commentFindings,
  pictureFindings,
];

interface Look {
  exiftool: ExifToolAccess;
  scratchDir: string;
  /** `performance.now()` past which no inner file is read any more (INNER_LOOK_LIMITS.maxMs). */
  until: number;
  files: number;
  bytes: number;
  /** Inner files not looked at: past the limits, unreadable from their container, or too complex for ExifTool. */
  notLooked: number;
  made: number;
}

/**
 * What the files inside a file give away (a DOCX's pictures, a ZIP's or tar's members, a PDF's attached
 * files, a Photoshop document's smart objects' files, audio files' cover art and appended ID3v2 tags, Office 97-2003
 * documents' pictures and embedded objects, RTF documents' pictures and objects, icons' PNG images), each finding's
 * title naming the inner file, or the inner files that give away the same (inner-group.ts):
 * ExifTool reads only the outer file. Each inner file is written
 * into `scratchDir` (removed by the caller), screened as an upload is, and read by ExifTool.
 * `pdf`: where a PDF's attached files are found (its own qpdf dump by default); null leaves them
 * to a look of their own once its objects are read (`listedAttachmentFindings`).
 */
export async function innerFindings(entries: readonly TagEntry[], file: string, scratchDir: string, exiftool: ExifToolAccess, pdf: InnerSource | null = pdfSourceOf(null)): Promise<Finding[]> {
  const source = sourceFor(entries, pdf);
  return source == null ? [] : lookFrom(source, file, scratchDir, exiftool);
}

/**
 * The same for a PDF's attached files as `files` lists them (the PDF cleaner's read of its objects
 * does): the look reads only their data. Nothing for a file of another type.
 */
export async function listedAttachmentFindings(entries: readonly TagEntry[], file: string, scratchDir: string, exiftool: ExifToolAccess, files: readonly PdfAttachedFile[]): Promise<Finding[]> {
  return fileTypeOf(entries) === "PDF" && files.length > 0 ? lookFrom(listedPdfSource(files), file, scratchDir, exiftool) : [];
}

async function lookFrom(source: InnerSource, file: string, scratchDir: string, exiftool: ExifToolAccess): Promise<Finding[]> {
  await makeDir(scratchDir);
  const look: Look = { exiftool, scratchDir, until: performance.now() + INNER_LOOK_LIMITS.maxMs, files: 0, bytes: 0, notLooked: 0, made: 0 };
  const findings = titledByFile(await lookInside(look, source, file, "", 1));
  if (look.notLooked > 0) findings.push({ kind: "embedded", severity: "low", title: notLookedTitle(look.notLooked), tags: [], value: String(look.notLooked) });
  return findings;
}

/** `pdf`: where this file's attached files are found when it is a PDF (its own qpdf dump by default). */
function sourceFor(entries: readonly TagEntry[], pdf: InnerSource | null = pdfSourceOf(null)): InnerSource | null {
  const type = fileTypeOf(entries);
  if (type == null) return null;
  if (type === "PDF") return pdf;
  if (type === "PSD" || type === "PSB") return psdSource;
  if (type === "RTF") return rtfSource;
  if (type === "ICO" || type === "CUR") return icoSource;
  return zipSourceFor(type) ?? tarSourceFor(type) ?? audioSourceFor(type) ?? legacySourceFor(type);
}

function fileTypeOf(entries: readonly TagEntry[]): string | null {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  return typeof type === "string" ? type : null;
}

async function lookInside(look: Look, source: InnerSource, file: string, prefix: string, depth: number): Promise<InnerFinding[]> {
  const findings: InnerFinding[] = [];
  const unlisted = await source(file, path.join(look.scratchDir, `source-${look.made++}`), async (inner) => {
    const room = INNER_LOOK_LIMITS.maxBytes - look.bytes;
    if (look.files >= INNER_LOOK_LIMITS.maxFiles || inner.claimedSize > room || outOfTime(look)) {
      look.notLooked += 1;
      return;
    }
    const dest = path.join(look.scratchDir, `inner-${look.made++}`);
    // Bytes the container's walk holds already are looked at there, and written out only for ExifTool.
    const held = inner.held != null && inner.held.length <= room ? inner.held : undefined;
    // What came out counts against the budget even when it was not the whole file (a claim under the truth).
    const copied = held != null ? { written: held.length, complete: true } : await inner.copyTo(dest, room);
    look.files += 1;
    look.bytes += copied.written;
    if (!copied.complete) {
      look.notLooked += 1;
      return;
    }
    try {
      findings.push(...(await ofInnerFile(look, dest, `${prefix}${inner.name}`, depth, held)));
    } finally {
      await fsp.rm(dest, { force: true });
    }
  });
  look.notLooked += unlisted;
  return findings;
}

/**
 * One inner file's findings, and those of the files inside it. `held`: its bytes, not yet written
 * to `file`, which they are only if ExifTool is to read them.
 */
async function ofInnerFile(look: Look, file: string, name: string, depth: number, held?: Buffer): Promise<InnerFinding[]> {
  const fileId = look.files;
  // Its copy may have taken the rest of the time (a PDF attachment's qpdf run).
  if (outOfTime(look)) {
    look.notLooked += 1;
    return [];
  }
  // Before the screen, which lets every bare JPEG through (see isBareJpeg).
  if (held != null ? isBareJpeg(held) : await isBareJpegFile(file)) return [];
  if (held != null) await fsp.writeFile(file, held, { flag: "wx" });
  const tags = await innerTags(look, file);
  if (tags == null) {
    look.notLooked += 1;
    return [];
  }
  const entries = tagEntries(tags);
  // A drawing's comments are nothing ExifTool reads: found by a look of its own, as in the outer file.
  const found = [...TAG_FINDERS.flatMap((finder) => finder(entries)), ...(await drawingFindings(entries, file))];
  const own = found.map((finding) => ({ file: name, fileId, finding }));
  const source = depth < INNER_LOOK_LIMITS.maxDepth ? sourceFor(entries) : null;
  return source == null ? own : [...own, ...(await lookInside(look, source, file, `${name} > `, depth + 1))];
}

/**
 * ExifTool's read of an inner file, screened as an upload is: a file too complex for ExifTool is
 * not handed to it, nor a PDF that needs a password, and a PDF it would misread (encrypted, its
 * header after other bytes) is read through a view. Null where it is not looked into: refused by
 * the screen, or ExifTool could not read it (its timeout), as the outer file's findings do not
 * depend on it. A request stopped meanwhile ends this worker's task anyway.
 */
async function innerTags(look: Look, file: string): Promise<RawTags | null> {
  const view = `${file}.view`;
  try {
    let screened: Screened;
    try {
      screened = await screenHere(file, view);
    } catch (err) {
      if (err instanceof TooComplexError) return null;
      throw err;
    }
    if (screened.locked) return null;
    return (await readAll(look.exiftool, screened.viewed ? view : file, false, undefined, screened.decrypted).catch(() => null))?.tags ?? null;
  } finally {
    await fsp.rm(view, { force: true });
  }
}

function outOfTime(look: Look): boolean {
  return performance.now() >= look.until;
}
