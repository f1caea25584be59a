import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import { runTool, type ToolRun } from "../run-tool.js";
import { objectKey } from "./object-view.js";
import { parseQpdfJson } from "./qpdf-json.js";
import type { QpdfDocument } from "./scrub-objects.js";

const QPDF_TIMEOUT_MS = 120_000;
/** The refusal of a PDF that needs a password to open. */
export const PASSWORD_PROTECTED = "The PDF is password-protected and cannot be cleaned without its password.";
const MAX_OBJECT_DUMP_BYTES = 64 * 1024 * 1024;
/** No file qpdf writes (the dump, a stream, the cleaned PDF) may pass this. */
const MAX_QPDF_FILE_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Resolves to qpdf's warnings (empty when there were none). No file qpdf writes may grow past
 * `maxFileBytes` (the dump, a stream's data, the cleaned PDF): past it qpdf is stopped and the
 * file is too complex.
 */
export async function qpdf(args: string[], step: "read" | "write", maxFileBytes = MAX_QPDF_FILE_BYTES): Promise<string> {
  const r = await runQpdf(args, maxFileBytes);
  // Exit code 3: done, with warnings (qpdf repaired a damaged cross-reference table, say).
  if (r.code === 0 || r.code === 3) return r.stderr;
  const detail = new Error(`qpdf ${step} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  if (step === "write") throw detail;
  throw unreadable(r.stderr, detail);
}

/** A read qpdf could not make: the PDF needs a password, or is damaged past repair. */
function unreadable(stderr: string, detail: Error): BadFileError {
  return new BadFileError(/invalid password/i.test(stderr) ? PASSWORD_PROTECTED : "The PDF is damaged and could not be read.", detail);
}

export interface DumpOptions {
  /** Where stream data goes: one file per stream under this prefix; none when absent. */
  streamPrefix?: string;
  /** qpdf's --decode-level for the data written (default none: the bytes as stored). */
  decode?: "none" | "specialized";
  /** Only these objects ("6 0 R"); every object when absent. */
  only?: readonly string[];
  /** A cap on each file qpdf writes, a stream's data included (see `qpdf`). */
  maxFileBytes?: number;
  /** The input is itself qpdf JSON (objects built here), not a PDF. */
  jsonInput?: boolean;
}

/** qpdf's JSON (version 2) view of a PDF's objects, the number of its pages, and qpdf's warnings. */
export interface ObjectDump {
  doc: QpdfDocument;
  /** The pages qpdf finds (after any repair of a damaged file), from the same read. */
  pages: number;
  /** Their objects' keys in the dump ("obj:6 0 R"), in page order. */
  pageObjects: string[];
  warnings: string;
}

/** Dumps the objects as JSON, with the page list (its length is the page count: no second run). */
export async function dumpObjects(input: string, jsonFile: string, opts: DumpOptions = {}): Promise<ObjectDump> {
  const data = opts.streamPrefix != null ? ["--json-stream-data=file", `--json-stream-prefix=${opts.streamPrefix}`] : ["--json-stream-data=none"];
  const only = (opts.only ?? []).map((ref) => `--json-object=${ref.replace(/^(\d+) (\d+) R$/, "$1,$2")}`);
  const args = [...(opts.jsonInput === true ? ["--json-input"] : []), "--json-output=2", "--json-key=qpdf", "--json-key=pages", ...data, `--decode-level=${opts.decode ?? "none"}`, ...only, input, jsonFile];
  const warnings = await qpdf(args, "read", opts.maxFileBytes);
  return { ...parseDump(await readObjectDump(jsonFile)), warnings };
}

/** Output cap of a JSON read of a few objects (`qpdfJson`): a trailer, an encryption dictionary. */
const MAX_OBJECTS_JSON_BYTES = 1024 * 1024;

/**
 * The objects `which` names (qpdf's `--json-object`: "trailer", "5,0"; one that is not there is
 * left out), as qpdf's JSON (version 2) keys them ("trailer", "obj:5 0 R"), from its standard
 * output. A PDF that needs a password is refused as qpdf's other reads refuse it.
 */
export async function qpdfJson(file: string, which: readonly string[]): Promise<QpdfDocument["qpdf"][1]> {
  const args = ["--json=2", "--json-key=qpdf", ...which.map((w) => `--json-object=${w}`), "--json-stream-data=none", file];
  const r = await runQpdf(args, undefined, MAX_OBJECTS_JSON_BYTES);
  if (r.code !== 0 && r.code !== 3) throw unreadable(r.stderr, new Error(`qpdf json exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  const parsed = parseQpdfJson(r.stdout.toString("utf8")) as { qpdf?: unknown };
  if (!Array.isArray(parsed.qpdf) || parsed.qpdf[1] == null || typeof parsed.qpdf[1] !== "object") throw new Error("qpdf --json gave an unexpected shape");
  return parsed.qpdf[1] as QpdfDocument["qpdf"][1];
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

function parseDump(text: string): { doc: QpdfDocument; pages: number; pageObjects: string[] } {
  const parsed: unknown = parseQpdfJson(text);
  if (
    parsed == null ||
    typeof parsed !== "object" ||
    !("qpdf" in parsed) ||
    !Array.isArray(parsed.qpdf) ||
    parsed.qpdf.length !== 2 ||
    typeof parsed.qpdf[0] !== "object" ||
    typeof parsed.qpdf[1] !== "object" ||
    !("pages" in parsed) ||
    !Array.isArray(parsed.pages)
  ) {
    throw new Error("qpdf --json-output gave an unexpected shape");
  }
  // The shape below the top level is qpdf's documented JSON v2; the cleaning steps read it defensively.
  const pageObjects = (parsed.pages as unknown[]).map((p) => (p != null && typeof p === "object" && "object" in p && typeof p.object === "string" ? objectKey(p.object) : ""));
  return { doc: { qpdf: parsed.qpdf as QpdfDocument["qpdf"] }, pages: parsed.pages.length, pageObjects };
}

/** Whether qpdf, as its warnings say, read an object it had no memory for as null (see `runQpdf`). */
export function qpdfRanOutOfMemory(stderr: string): boolean {
  return stderr.includes("std::bad_alloc");
}

/**
 * qpdf survives running out of memory on one object: it reads it as null and "succeeds with
 * warnings". What it then reads or writes is missing that object, so the file is too complex.
 * It does not survive running out of stack: it walks the page tree recursively, and a tree
 * 25,000 nodes deep (1 MB; the screen counts those it sees, not those in object streams) ended
 * it with a segmentation fault, which was a 500 (runTool now calls any program ended by a signal
 * it was not sent too complex).
 */
async function runQpdf(args: string[], maxFileBytes?: number, maxOutputBytes?: number): Promise<ToolRun> {
  const r = await runTool("qpdf", args, { timeoutMs: QPDF_TIMEOUT_MS, ...(maxFileBytes != null ? { maxFileBytes } : {}), ...(maxOutputBytes != null ? { maxOutputBytes } : {}) });
  if (qpdfRanOutOfMemory(r.stderr)) throw new TooComplexError("qpdf ran out of memory on an object");
  return r;
}
