import type { KeepOption } from "../types.js";
import { proveDds } from "./dds-proof.js";
import { heifShapeHolds } from "./heif-proof.js";
import { isoShapeHolds } from "./iso-proof.js";
import { proveJpeg } from "./jpeg-proof.js";
import { proveMetafile } from "./metafile-proof.js";
import { provePng } from "./png-proof.js";
import { proveSvm } from "./svm-proof.js";
import type { ProofFailure } from "./shared.js";

export type { ProofFailure } from "./shared.js";

/**
 * What the checks of a cleaned copy's own structure found. They parse bytes a client shaped, so
 * they run where the copy was cleaned (a task process, see `clean` in clean-file.ts), never on the
 * service's main thread: a 60 MB drawing of five million records held that thread ~1.5 s, and every
 * other request with it.
 */
export interface CopyProof {
  /** Why the structural proof failed; null when it held, or the copy has none. */
  failure: ProofFailure | null;
  /** Whether the copy's shape check (MP4/MOV, HEIF) held, which makes the re-read redundant. */
  shapeHolds: boolean;
}

type Proof = (file: string, allowed: ReadonlySet<KeepOption>) => Promise<ProofFailure | null>;

/**
 * Structural proofs, for the types whose cleaner rebuilds the file from an allow-list of its
 * parts (JPEG segments, PNG chunks, a DDS header's fields) and nothing else writes into it. Each walks the cleaned file
 * with code of its own, not the cleaner's, so a cleaner that lets through a part it does not know
 * is caught even where ExifTool has no name for that part.
 */
const PROOFS: Readonly<Record<string, Proof>> = { JPEG: proveJpeg, PNG: provePng, APNG: provePng, EMF: proveMetafile, WMF: proveMetafile, DDS: proveDds, SVM: proveSvm };

/**
 * The proof for a cleaned file of `fileType`, or null when there is none: other types, and a
 * file into which `keep=copyright` had ExifTool write the rights fields back (that writer is not
 * an allow-list; such a file gets the full re-read).
 */
function structuralProofFor(fileType: string, keep: ReadonlySet<KeepOption>): Proof | null {
  return keep.has("copyright") ? null : (PROOFS[fileType] ?? null);
}

/**
 * Types whose proof is checked beside the verification's re-read, never instead of it. ExifTool
 * knows neither DDS, EMF nor SVM, and reads a JPEG or TIFF it finds in an unknown file's first kilobyte
 * ("JPEG-like data after unknown header"): a texture, or a drawing's bitmap, whose pixels begin
 * with a photo shows that photo's tags, which the walk of the header or records cannot see and the
 * cleaner copies as pixels. (ExifTool knows a WMF's header, and reads nothing past it.)
 */
const BESIDE_REREAD = new Set(["DDS", "EMF", "SVM"]);

/** Whether a copy of `fileType` has a structural proof which, holding, makes the verification's re-read redundant. */
export function proofStandsIn(fileType: string, keep: ReadonlySet<KeepOption>): boolean {
  return structuralProofFor(fileType, keep) != null && !BESIDE_REREAD.has(fileType);
}

/**
 * Runs the structural proof and the shape check a cleaned copy of `fileType` has, if any. `keep`
 * is what the client asked to keep; `allowed`, that and what the cleaner had to keep besides.
 */
export async function proveCopy(file: string, fileType: string, keep: ReadonlySet<KeepOption>, allowed: ReadonlySet<KeepOption>): Promise<CopyProof> {
  const [failure, shapeHolds] = await Promise.all([structuralProofFor(fileType, keep)?.(file, allowed) ?? null, shapeProofFor(fileType, allowed)?.(file) ?? false]);
  return { failure, shapeHolds };
}

const ISO_TYPES = new Set(["MP4", "MOV", "M4A", "M4V", "3GP"]);
const HEIF_TYPES = new Set(["HEIC", "HEIF", "AVIF"]);

/**
 * A check that, when it holds, makes the verification's ExifTool re-read redundant (the file
 * can only show its structure); when it does not, the file simply gets the re-read. Null for the
 * types without one, and wherever something was kept or written back.
 */
export function shapeProofFor(fileType: string, allowed: ReadonlySet<string>): ((file: string) => Promise<boolean>) | null {
  if (allowed.size > 0) return null;
  if (ISO_TYPES.has(fileType)) return isoShapeHolds;
  return HEIF_TYPES.has(fileType) ? (file) => heifShapeHolds(file, fileType) : null;
}
