import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError } from "../errors.js";
import { runTool } from "../run-tool.js";
import type { CleanContext, Cleaner, FoundTag } from "../types.js";
import { cleanEmbeddedJpegs } from "./embedded-jpegs.js";
import { overlongStreams, recoveredLengths } from "./recovered-streams.js";
import { scrubObjects, type QpdfDocument } from "./scrub-objects.js";

const QPDF_TIMEOUT_MS = 120_000;
const MAX_OBJECT_DUMP_BYTES = 64 * 1024 * 1024;
/** No file qpdf writes (the dump, a stream, the cleaned PDF) may pass this. */
const MAX_QPDF_FILE_BYTES = 2 * 1024 * 1024 * 1024;

const DAMAGED_STREAMS = "The PDF is damaged and cannot be cleaned safely.";

/** What ExifTool reads from a PDF's structure rather than from its metadata. */
const STRUCTURAL = new Set([
  "PDFVersion",
  "Linearized",
  "PageCount",
  "TaggedPDF",
  "HasXFA",
  "MediaBox",
  // The pictures on the pages (ExifTool describes them with -ee); their own metadata is cleaned.
  "EmbeddedImage",
  "EmbeddedImageWidth",
  "EmbeddedImageHeight",
  "EmbeddedImageFilter",
  "EmbeddedImageColorSpace",
]);

/**
 * PDF: qpdf alone, in two runs. The first dumps every object as JSON (without stream data); we
 * drop the metadata keys (`scrub-objects.ts`); the second applies that edit and writes a full
 * rewrite of the file.
 *
 * Why not ExifTool's `-all:all=`: it only knows the Info dictionary and the catalog's XMP (page,
 * image and font XMP stay), and it writes an incremental update that leaves the old revision in
 * the file. qpdf's writer instead emits only the objects reachable from the new trailer, so the
 * old Info, every orphaned XMP stream and every earlier revision are gone, while page content
 * streams are copied as they are.
 *
 * Encryption is removed (`--decrypt`): re-encrypting would keep the original `/ID`, to which the
 * keys are bound. A file that needs a user password cannot be opened at all and is refused.
 */
export const pdfCleaner: Cleaner = {
  name: "pdf",
  fileTypes: ["PDF"],

  async clean(ctx: CleanContext): Promise<void> {
    const input = path.resolve(ctx.input);
    const objectsFile = path.resolve(ctx.workDir, "objects.json");
    const updateFile = path.resolve(ctx.workDir, "update.json");

    const streamPrefix = path.resolve(ctx.workDir, "s");

    // Stream data goes to files as it is stored (--decode-level=none): the embedded JPEGs are
    // needed byte for byte, and nothing else is ever decoded.
    const warnings = await qpdf(
      ["--json-output=2", "--json-key=qpdf", "--json-stream-data=file", `--json-stream-prefix=${streamPrefix}`, "--decode-level=none", input, objectsFile],
      "read",
    );
    const doc = parseObjects(await readObjectDump(objectsFile));
    await refuseSwallowedObjects(input, warnings, ctx.workDir);
    const { update } = scrubObjects(doc);
    await cleanEmbeddedJpegs(doc, update, ctx);
    await fsp.writeFile(updateFile, JSON.stringify(update));
    await qpdf(["--decrypt", "--deterministic-id", `--update-from-json=${updateFile}`, input, path.resolve(ctx.output)], "write");
  },

  isStructural(t: FoundTag): boolean {
    // An ICC profile in a PDF is an image's colour space (an ICCBased resource): page content.
    return (t.group === "PDF" && STRUCTURAL.has(t.tag)) || t.group === "ICC_Profile";
  },
};

/**
 * A damaged PDF qpdf repairs is cleaned (a rebuilt cross-reference table is common in real
 * files), except when a stream had to be measured anew and came out longer than it said: its data
 * may now hold other objects' bytes (see `recovered-streams.ts`), so the file is refused. Only then
 * is the file read a second time, for the declared lengths.
 */
async function refuseSwallowedObjects(input: string, warnings: string, workDir: string): Promise<void> {
  const recovered = recoveredLengths(warnings);
  if (recovered.size === 0) return;
  const declaredFile = path.resolve(workDir, "declared.json");
  await qpdf(["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", input, declaredFile], "read");
  const overlong = overlongStreams(recovered, parseObjects(await readObjectDump(declaredFile)));
  if (overlong.length > 0) {
    throw new BadFileError(DAMAGED_STREAMS, new Error(`qpdf recovered overlong streams: ${overlong.join(", ")}`));
  }
}

/**
 * The object dump is parsed whole; a real document's is a few MB (stream data is in files of its
 * own), a PDF whose strings inflate to hundreds of MB is refused before it is read.
 */
async function readObjectDump(file: string): Promise<string> {
  const { size } = await fsp.stat(file);
  if (size > MAX_OBJECT_DUMP_BYTES) throw new TooComplexError(`qpdf's object dump is ${size} bytes`);
  return fsp.readFile(file, "utf8");
}

/** Resolves to qpdf's warnings (empty when there were none). */
async function qpdf(args: string[], step: "read" | "write"): Promise<string> {
  const r = await runTool("qpdf", args, { timeoutMs: QPDF_TIMEOUT_MS, maxFileBytes: MAX_QPDF_FILE_BYTES });
  // Exit code 3: done, with warnings (qpdf repaired a damaged cross-reference table, say).
  if (r.code === 0 || r.code === 3) return r.stderr;
  const detail = new Error(`qpdf ${step} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  if (step === "write") throw detail;
  if (/invalid password/i.test(r.stderr)) {
    throw new BadFileError("The PDF is password-protected and cannot be cleaned without its password.", detail);
  }
  throw new BadFileError("The PDF is damaged and could not be read.", detail);
}

function parseObjects(text: string): QpdfDocument {
  const parsed: unknown = JSON.parse(text);
  if (
    parsed == null ||
    typeof parsed !== "object" ||
    !("qpdf" in parsed) ||
    !Array.isArray(parsed.qpdf) ||
    parsed.qpdf.length !== 2 ||
    typeof parsed.qpdf[0] !== "object" ||
    typeof parsed.qpdf[1] !== "object"
  ) {
    throw new Error("qpdf --json-output gave an unexpected shape");
  }
  // The shape below the top level is qpdf's documented JSON v2; scrub-objects reads it defensively.
  return parsed as QpdfDocument;
}
