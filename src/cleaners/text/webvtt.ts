import crypto from "node:crypto";
import { BadFileError } from "../errors.js";
import { readWholeText } from "./whole-text.js";

/** The file's signature: `WEBVTT` then a space, a tab or the line's end (what follows is free text). */
export const WEBVTT_START = /^(\uFEFF)?WEBVTT(?=[ \t\r\n]|$)/;

/**
 * The header lines players act on: HLS's X-TIMESTAMP-MAP (RFC 8216, 3.5) ties the cues' times to
 * the video's; the rest (Kind:, Language:, an editor's fields) no player reads.
 */
const KEPT_HEADER_LINE = /^X-TIMESTAMP-MAP=/;

/** A NOTE block: `NOTE` alone on its line or followed by a space or a tab, up to the next blank line: a comment no player shows. */
const NOTE_BLOCK = /^NOTE(?:[ \t\r\n]|$)/;

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
 * `keepNotes`. The text is walked block by block without splitting it: a file of millions of empty
 * notes held ~700 MB as an array of lines.
 */
export function cleanWebVtt(text: string, keepNotes: boolean): CleanedWebVtt {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const blocks = blocksOf(text, bom.length);
  const header = headerOf(blocks.next().value);
  const eol = header.eol === "" ? "\n" : header.eol;
  const out = [`${bom}WEBVTT${eol}`, ...header.kept.map((line) => line + eol)];
  const hash = crypto.createHash("sha256");
  let notes = 0;
  for (const block of blocks) {
    if (!keepNotes && NOTE_BLOCK.test(block.body)) {
      notes++;
      continue;
    }
    out.push(eol, block.body, block.eol === "" ? eol : block.eol);
    hash.update(`${normalized(block.body)}\n\n`);
  }
  return { text: out.join(""), headerLines: header.dropped, notes, digest: hash.digest("hex") };
}

/**
 * The proof, from the copy's bytes: it is WebVTT, its header holds no line but those kept, it has
 * no NOTE block (unless `keepNotes`), and its blocks are the original's kept ones (the same digest).
 */
export function checkCleanWebVtt(text: string, digest: string, keepNotes: boolean): void {
  const blocks = blocksOf(text, text.startsWith("\uFEFF") ? 1 : 0);
  const header = headerOf(blocks.next().value);
  const hash = crypto.createHash("sha256");
  let clean = header.dropped === 0;
  for (const block of blocks) {
    clean &&= keepNotes || !NOTE_BLOCK.test(block.body);
    hash.update(`${normalized(block.body)}\n\n`);
  }
  if (!clean || hash.digest("hex") !== digest) throw new BadFileError("The WebVTT file could not be cleaned: its copy did not keep every cue.");
}

/** Reads the file as WebVTT's UTF-8 text (its specification, 4.1), whole. */
export function readWebVtt(file: string): Promise<string> {
  return readWholeText(file, "utf8", "a WebVTT file");
}

interface Block {
  /** Its lines, with the line ends between them. */
  body: string;
  /** The line end after its last line ("" at the file's end). */
  eol: string;
}

/** Blank lines (two line ends or more in a row) part blocks. */
const BLOCK_END = /(\r\n|\r|\n)(?:\r\n|\r|\n)*/g;

/** The blocks of `text` from `start`, the blank lines between them left out. */
function* blocksOf(text: string, start: number): Generator<Block, undefined> {
  const end = new RegExp(BLOCK_END.source, "g");
  let at = start;
  while (at < text.length) {
    end.lastIndex = at;
    let m = end.exec(text);
    // One line end inside a block parts its lines, not blocks.
    while (m != null && m[0].length === m[1]!.length && m.index + m[0].length < text.length) m = end.exec(text);
    const stop = m?.index ?? text.length;
    if (stop > at) yield { body: text.slice(at, stop), eol: m?.[1] ?? "" };
    at = m == null ? text.length : m.index + m[0].length;
  }
  return undefined;
}

/** The signature's block: the lines kept after the signature, how many others go, its line end. */
function headerOf(block: Block | undefined): { kept: string[]; dropped: number; eol: string } {
  if (block == null || !WEBVTT_START.test(block.body)) throw new BadFileError("The WebVTT file is damaged: it does not start with WEBVTT.");
  const lines = /[^\r\n]+/g;
  const first = lines.exec(block.body)![0];
  const kept: string[] = [];
  let dropped = first === "WEBVTT" ? 0 : 1;
  for (let m = lines.exec(block.body); m != null; m = lines.exec(block.body)) {
    // Its lines would go: a cue there (no blank line after the signature) is refused, not lost.
    if (m[0].includes("-->")) throw new BadFileError("The WebVTT file is damaged: a cue follows its WEBVTT line without a blank line between them.");
    if (KEPT_HEADER_LINE.test(m[0])) kept.push(m[0]);
    else dropped++;
  }
  const eol = /\r\n|\r|\n/.exec(block.body)?.[0] ?? block.eol;
  return { kept, dropped, eol };
}

function normalized(body: string): string {
  return body.replace(/\r\n?/g, "\n");
}
