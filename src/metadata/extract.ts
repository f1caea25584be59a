import type { DecryptedPdf } from "../cleaners/pdf/decrypted-view.js";
import type { ExifToolAccess } from "../cleaners/types.js";
import { type RawRead, type RawTags, readAll } from "./read-task.js";
import type { Finding } from "./findings/index.js";
import { encryptedWarnings } from "./findings/encrypted.js";
import { innerWarnings } from "./findings/inner-limits.js";
import { shapeMetadata, type ShapedMetadata } from "./shape.js";

export interface LocalFile {
  /** Generated temp path. */
  path: string;
  /** Sanitised client-facing name. */
  name: string;
  size: number;
  /** True when the name is a placeholder (a URL with no name): the detected type's extension is added. */
  unnamed: boolean;
  /** The file's first bytes (up to SCREEN_HEAD_BYTES), when the intake kept them as it wrote the file. */
  head?: Buffer;
}

/** The client-facing name, with the detected type's extension when the source gave no name. */
export function displayName(file: LocalFile, tags: RawTags): string {
  const ext = tags["File:FileTypeExtension"];
  return file.unnamed && typeof ext === "string" && /^[a-z0-9]{1,8}$/i.test(ext) ? `${file.name}.${ext.toLowerCase()}` : file.name;
}

/** The contract's extraction: the shaped metadata and what it gives away. */
export interface Extraction extends ShapedMetadata {
  findings: Finding[];
}

/**
 * Reads a file's metadata through the pool and shapes it for the contract, with the findings
 * of the same read (`findings` computes them: in the service, in a task process). A file ExifTool
 * cannot read (or a read that times out) is the client's problem, not ours: the answer is what
 * could be read, at least `File`, with ExifTool's messages as warnings.
 */
export async function extractMetadata(
  exiftool: ExifToolAccess,
  file: LocalFile,
  opts: {
    /** What ExifTool reads in the file's place, a view of it with the same tags (see checkShape); the file itself by default. */
    readPath?: string;
    /** What the read of `readPath`, an encrypted PDF's decrypted view, lacks of the original (see Screened). */
    decrypted?: DecryptedPdf | null;
    numeric: boolean;
    /** The file's first bytes, when the caller read them already (see readAll). */
    head?: Buffer;
    hiddenPaths: string[];
    log: { warn(obj: object, msg: string): void };
    findings: (tags: RawTags, file: string) => Promise<Finding[]>;
  },
): Promise<Extraction> {
  let read: RawRead;
  try {
    read = await readAll(exiftool, opts.readPath ?? file.path, opts.numeric, opts.head, opts.decrypted);
  } catch (err) {
    opts.log.warn({ err }, "ExifTool could not read the file");
    const timedOut = err instanceof Error && /timeout/i.test(err.message);
    read = { tags: {}, messages: [timedOut ? "Reading this file took too long; nothing could be extracted." : "ExifTool could not read this file."] };
  }
  const name = displayName(file, read.tags);
  const shaped = shapeMetadata({
    raw: read.tags,
    messages: read.messages,
    clientName: name,
    size: file.size,
    numeric: opts.numeric,
    replacements: [[file.path, name], ...(opts.readPath != null ? [[opts.readPath, name] as [string, string]] : []), ...opts.hiddenPaths.map((p): [string, string] => [p, ""])],
  });
  const findings = await opts.findings(read.tags, file.path);
  return { ...shaped, warnings: [...shaped.warnings, ...innerWarnings(findings), ...encryptedWarnings(findings)], findings };
}
