import crypto from "node:crypto";
import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";

/**
 * A WebVTT file (W3C WebVTT, section 4) is read whole: subtitles for a feature film take ~100 kB,
 * and this bounds what a hostile one holds in memory.
 */
const MAX_BYTES = 16 * 1024 * 1024;

/** The file's signature: `WEBVTT` then a space, a tab or the line's end (what follows is free text). */
export const WEBVTT_START = /^(\uFEFF)?WEBVTT(?=[ \t\r\n]|$)/;

/**
 * The header lines players act on: HLS's X-TIMESTAMP-MAP (RFC 8216, 3.5) ties the cues' times to
 * the video's; the rest (Kind:, Language:, an editor's fields) no player reads.
 */
const KEPT_HEADER_LINE = /^X-TIMESTAMP-MAP=/;

/** A NOTE block: `NOTE` alone or followed by a space or a tab, up to the next blank line: a comment no player shows. */
const NOTE_BLOCK = /^NOTE(?:[ \t]|$)/;

export interface CleanedWebVtt {
  text: string;
  /** Header lines removed (the free text after WEBVTT counted as one). */
  headerLines: number;
  /** NOTE blocks removed. */
  notes: number;
  /** A digest of the blocks kept (cues, styles, regions), for the proof. */
  digest: string;
}

/**
 * Keeps the signature, the header lines a player uses, and every cue, STYLE and REGION block byte
 * for byte; drops what follows WEBVTT on its line (a title or comment of the author's), the other
 * header lines, and the NOTE blocks (comments, often who wrote or timed the subtitles) unless
 * `keepNotes`.
 */
export function cleanWebVtt(text: string, keepNotes: boolean): CleanedWebVtt {
  const { bom, header, blocks } = parse(text);
  const keptHeader = header.slice(1).filter((line) => KEPT_HEADER_LINE.test(line.text));
  const keptBlocks = blocks.filter((block) => keepNotes || !NOTE_BLOCK.test(block[0]!.text));
  const eol = header[0]!.eol === "" ? "\n" : header[0]!.eol;
  let out = `${bom}WEBVTT${eol}${keptHeader.map((l) => l.text + l.eol).join("")}`;
  for (const block of keptBlocks) out += `${eol}${block.map((l) => l.text + l.eol).join("")}`;
  const headerLines = (header[0]!.text === "WEBVTT" ? 0 : 1) + header.length - 1 - keptHeader.length;
  return { text: out, headerLines, notes: blocks.length - keptBlocks.length, digest: digestOf(keptBlocks) };
}

/**
 * The proof, from the copy's bytes: it is WebVTT, its header holds no line but those kept, it has
 * no NOTE block (unless `keepNotes`), and its blocks are the original's kept ones (the same digest).
 */
export function checkCleanWebVtt(text: string, digest: string, keepNotes: boolean): void {
  const { header, blocks } = parse(text);
  const clean = header[0]!.text === "WEBVTT" && header.slice(1).every((l) => KEPT_HEADER_LINE.test(l.text)) && (keepNotes || !blocks.some((b) => NOTE_BLOCK.test(b[0]!.text)));
  if (!clean || digestOf(blocks) !== digest) throw new BadFileError("The WebVTT file could not be cleaned: its copy did not keep every cue.");
}

/** Reads the file as WebVTT's UTF-8 text, refusing one past MAX_BYTES. */
export async function readWebVtt(file: string): Promise<string> {
  const { size } = await fsp.stat(file);
  if (size > MAX_BYTES) throw new TooComplexError(`a WebVTT file over ${MAX_BYTES} bytes`);
  return fsp.readFile(file, "utf8");
}

interface Line {
  text: string;
  eol: string;
}

/** The signature's block (its first line and the header lines), then the blocks blank lines separate, each line with its own ending. */
function parse(text: string): { bom: string; header: Line[]; blocks: Line[][] } {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\r|\n|$)/gy;
  re.lastIndex = bom.length;
  while (re.lastIndex < text.length) {
    const m = re.exec(text)!;
    lines.push({ text: m[1]!, eol: m[2]! });
  }
  const groups: Line[][] = [[]];
  for (const line of lines) {
    if (line.text === "") {
      if (groups[groups.length - 1]!.length > 0) groups.push([]);
    } else groups[groups.length - 1]!.push(line);
  }
  const nonEmpty = groups.filter((g) => g.length > 0);
  const header = nonEmpty[0] ?? [{ text: "", eol: "" }];
  if (!WEBVTT_START.test(header[0]!.text)) throw new BadFileError("The WebVTT file is damaged: it does not start with WEBVTT.");
  // Its header's lines would go: a cue there (no blank line after the signature) is refused, not lost.
  if (header.some((l) => l.text.includes("-->"))) throw new BadFileError("The WebVTT file is damaged: a cue follows its WEBVTT line without a blank line between them.");
  return { bom, header, blocks: nonEmpty.slice(1) };
}

function digestOf(blocks: readonly Line[][]): string {
  const hash = crypto.createHash("sha256");
  for (const block of blocks) hash.update(`${block.map((l) => l.text).join("\n")}\n\n`);
  return hash.digest("hex");
}
