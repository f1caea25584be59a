import fsp from "node:fs/promises";
import { blankEmf } from "../../cleaners/image/metafile-emf.js";
import { blankWmf } from "../../cleaners/image/metafile-wmf.js";
import { blankSvm } from "../../cleaners/image/svm.js";
import { type Finding, type TagEntry, shortValue } from "./types.js";

/** As the cleaners: a larger drawing is not read into memory. */
const MAX_BYTES = 64 * 1024 * 1024;
const DRAWING_TYPES = new Set(["EMF", "WMF", "SVM"]);

/**
 * What an EMF, WMF or SVM drawing carries that no viewer draws, which ExifTool does not read at
 * all: an EMF's description (the program that made it and the picture's name), comment and
 * private records, bytes past a record's fields, metadata of the pictures inside. Found as the
 * cleaner finds it, on a copy of the file: its count is the `removed.metafileText` a removal
 * gives, and a cleaned copy has none.
 */
export async function drawingFindings(entries: readonly TagEntry[], file: string): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (typeof type !== "string" || !DRAWING_TYPES.has(type)) return [];
  if ((await fsp.stat(file)).size > MAX_BYTES) return [];
  const bytes = await fsp.readFile(file);
  const description = type === "EMF" ? emfDescription(bytes) : "";
  let blanked: number;
  try {
    blanked = type === "SVM" ? blankSvm(bytes).blanked : type === "EMF" ? blankEmf(bytes).blanked : blankWmf(bytes).blanked;
  } catch {
    // A drawing that cannot be walked through has nothing of this to show; its removal says it is damaged.
    return [];
  }
  if (blanked === 0) return [];
  const f: Finding = { kind: "hidden", severity: "medium", title: `The drawing carries ${blanked} piece(s) of text or data that no viewer draws (its description, comments, private records), which can name the program, the file and who made it.`, tags: [] };
  if (description !== "") f.value = shortValue(description);
  return [f];
}

/** An EMF header's description ([MS-EMF] 2.2.9: the program, then the picture's name, each ending in NUL), as one line. */
function emfDescription(emf: Buffer): string {
  if (emf.length < 88) return "";
  const chars = emf.readUInt32LE(60);
  const at = emf.readUInt32LE(64);
  const headerSize = emf.readUInt32LE(4);
  if (chars === 0 || at < 88 || at + 2 * chars > Math.min(headerSize, emf.length)) return "";
  return emf
    .toString("utf16le", at, at + 2 * chars)
    .split("\0")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .join("; ");
}
