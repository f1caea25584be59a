import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError } from "../errors.js";
import { INNER_LIMITS } from "../inner-budget.js";
import { innerRefusal } from "../inner-refusal.js";
import type { CleanContext } from "../types.js";
import { E_INVOICE, isC2paManifest, isEInvoice } from "./attached-kinds.js";
import { dropAttachedFiles, embeddedFileStreams, fileName, specsByStream } from "./file-specs.js";
import { objectKey, type ObjectView } from "./object-view.js";
import { dumpObjects } from "./qpdf.js";
import type { PdfDict } from "./scrub-objects.js";

/** More attached files than this in one PDF is refused as too complex (each is a full cleaning). */
const MAX_ATTACHMENTS = 100;

/** One attached file, decoded, may be this large; all of them together, the request's inner-file budget. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;
const MAX_DECODED_BYTES = INNER_LIMITS.maxBytes;

const MIME_NAME = /^\/[a-z]+\/[\w.+-]{1,100}$/i;

const UNREADABLE = "The PDF holds an attached file that cannot be read.";

/** An attached file as stored in a PDF: its stream's dictionary and its decoded data. */
export interface AttachedFile {
  ref: string;
  dict: PdfDict;
  /** The decoded data; null for an empty stream. */
  datafile: string | null;
}

/**
 * The decoded data of the given embedded-file streams, each in a file. A filter qpdf cannot
 * undo (the data stays encoded, its /Filter stays in the dictionary) makes the file unreadable.
 * One qpdf run per file, each capped at what is left of the budget: a stream built to inflate
 * without end stops at the cap, on disk as in memory.
 */
export async function readAttachedFiles(pdf: string, refs: readonly string[], workDir: string, tag: string): Promise<AttachedFile[]> {
  const files: AttachedFile[] = [];
  let budget = MAX_DECODED_BYTES;
  for (const [i, ref] of refs.entries()) {
    const prefix = path.join(workDir, `${tag}-${i}`);
    const cap = Math.min(MAX_FILE_BYTES, budget);
    if (cap <= 0) throw new TooComplexError(`the PDF's attached files decode to more than ${MAX_DECODED_BYTES} bytes`);
    const { doc } = await dumpObjects(pdf, `${prefix}.json`, { streamPrefix: prefix, decode: "specialized", only: [ref], maxFileBytes: cap });
    const obj = doc.qpdf[1][objectKey(ref)];
    if (obj == null || !("stream" in obj)) throw new BadFileError(UNREADABLE, new Error(`embedded file ${ref} missing from qpdf's dump`));
    if (obj.stream.dict["/Filter"] != null) {
      throw new BadFileError(UNREADABLE, new Error(`embedded file ${ref} has a filter qpdf cannot decode: ${JSON.stringify(obj.stream.dict["/Filter"])}`));
    }
    const datafile = obj.stream.datafile ?? null;
    if (datafile != null) budget -= (await fsp.stat(datafile)).size;
    files.push({ ref, dict: obj.stream.dict, datafile });
  }
  return files;
}

/** What became of the attached files. */
export interface AttachedOutcome {
  /** The SHA-256 of each attached file's data as written, by stream reference. */
  written: Map<string, string>;
  /** Files cleaned by their own cleaner (or empty). */
  cleaned: number;
  /** C2PA manifest stores taken out (see `attached-kinds.ts`). */
  provenance: number;
  /** E-invoices kept byte for byte: file name -> what it is (see `attached-kinds.ts`). */
  keptAsIs: Record<string, string>;
}

/**
 * Cleans every file attached to the PDF (the data of each embedded-file stream that will be
 * written) with the cleaner for its own type, through `cleanNested`, and puts the clean data in
 * its place. The stream's parameters (dates, checksum, the Mac creator) give way to the new size.
 * A C2PA manifest store leaves the document; an e-invoice's XML stays as it is. Any other file no
 * cleaner handles makes the whole PDF a bad file, naming its type.
 */
export async function cleanAttachedFiles(view: ObjectView, input: string, ctx: CleanContext): Promise<AttachedOutcome> {
  const refs = embeddedFileStreams(view);
  if (refs.length > MAX_ATTACHMENTS) throw new TooComplexError(`the PDF has ${refs.length} attached files`);
  const specs = specsByStream(view);
  const outcome: AttachedOutcome = { written: new Map(), cleaned: 0, provenance: 0, keptAsIs: {} };
  const dropped = new Set<string>();
  for (const file of await readAttachedFiles(input, refs, ctx.workDir, "attached")) {
    const fileSpecs = specs.get(file.ref) ?? [];
    if (await isC2paManifest(file.dict, fileSpecs, file.datafile)) {
      dropped.add(file.ref);
      outcome.provenance += 1;
      continue;
    }
    const out = path.join(ctx.workDir, `attached-clean-${outcome.written.size}`);
    if (file.datafile == null || (await fsp.stat(file.datafile)).size === 0) {
      // An empty file carries nothing to clean.
      await fsp.writeFile(out, "");
      outcome.cleaned += 1;
    } else if (await isEInvoice(file.datafile)) {
      await fsp.copyFile(file.datafile, out);
      const name = fileSpecs.length > 0 ? fileName(fileSpecs[0]!) : "attachment";
      outcome.keptAsIs[name] = E_INVOICE;
    } else if (await ctx.cleanNested(file.datafile, out)) {
      outcome.cleaned += 1;
    } else {
      throw innerRefusal(ctx, "The PDF holds an attached file", file.datafile, null, `pdf: attached file ${file.ref} has no cleaner`);
    }
    const dict: PdfDict = { "/Type": "/EmbeddedFile", "/Params": { "/Size": (await fsp.stat(out)).size } };
    // The MIME type (a name, /application/pdf): what the file is, not who made it.
    const mime = file.dict["/Subtype"];
    if (typeof mime === "string" && MIME_NAME.test(mime)) dict["/Subtype"] = mime;
    view.changes[objectKey(file.ref)] = { stream: { dict, datafile: out } };
    outcome.written.set(file.ref, await fileSha256(out));
  }
  if (dropped.size > 0) dropAttachedFiles(view, dropped);
  return outcome;
}

export function sha256(data: Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/** The same of a file, read as a stream: an attached file can be hundreds of megabytes. */
export async function fileSha256(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
