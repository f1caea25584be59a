import { BadFileError } from "../errors.js";

/**
 * One piece of an RTF file as the syntax reads it (RTF 1.9.1, "Conventions of an RTF Reader"),
 * with where it lies in the file, so that what is kept is copied byte for byte.
 * - `open`, `close`: a group's braces;
 * - `word`: a control word (`\b0`, `\rtlch `), its delimiting space included in the span;
 * - `symbol`: a control symbol (`\*`, `\~`, `\{`); for `\'hh`, `byte` is its value;
 * - `text`: a run of plain text (line breaks included, which RTF ignores);
 * - `bin`: `\binN` and the N raw bytes after it, which may hold any byte, braces too.
 */
export type Token =
  | { kind: "open" | "close" | "text"; start: number; end: number }
  | { kind: "word"; name: string; param: number | null; start: number; end: number }
  | { kind: "symbol"; ch: string; byte: number | null; start: number; end: number }
  | { kind: "bin"; start: number; end: number; dataStart: number };

export const DAMAGED = "The file is not a readable RTF document: its syntax is damaged.";

const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
/** Longest name and parameter RTF allows (32 letters, a signed 32-bit number). */
const MAX_NAME = 32;
const MAX_DIGITS = 10;

const isLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const hexValue = (c: number): number => (isDigit(c) ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);

/**
 * Reads the tokens of `bytes` one at a time, without building a tree: memory beyond the file
 * itself stays constant whatever the nesting (depth is the walker's budget, not the reader's).
 */
export class RtfTokens {
  private pos = 0;
  private peeked: Token | null = null;

  constructor(readonly bytes: Buffer) {}

  get offset(): number {
    return this.peeked?.start ?? this.pos;
  }

  peek(): Token | null {
    this.peeked ??= this.read();
    return this.peeked;
  }

  /**
   * The next token that is not a run of line breaks, those breaks consumed: RTF ignores them, and
   * some writers put them inside a group's head (Cocoa writes `{\*` and `\userprops` on two lines).
   */
  peekPastLineBreaks(): Token | null {
    for (let t = this.peek(); ; t = this.peek()) {
      if (t?.kind !== "text" || !this.onlyLineBreaks(t.start, t.end)) return t;
      this.next();
    }
  }

  private onlyLineBreaks(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.bytes[i] !== 0x0a && this.bytes[i] !== 0x0d) return false;
    return true;
  }

  next(): Token | null {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  private read(): Token | null {
    const b = this.bytes;
    const start = this.pos;
    if (start >= b.length) return null;
    const c = b[start]!;
    if (c === OPEN || c === CLOSE) {
      this.pos = start + 1;
      return { kind: c === OPEN ? "open" : "close", start, end: this.pos };
    }
    if (c !== BACKSLASH) {
      let end = start + 1;
      while (end < b.length && b[end] !== BACKSLASH && b[end] !== OPEN && b[end] !== CLOSE) end++;
      this.pos = end;
      return { kind: "text", start, end };
    }
    const first = b[start + 1];
    if (first === undefined) throw new BadFileError(DAMAGED, new Error("rtf: a backslash ends the file"));
    if (!isLetter(first)) return this.symbol(start, first);
    let end = start + 1;
    while (end < b.length && isLetter(b[end]!)) end++;
    if (end - start - 1 > MAX_NAME) throw new BadFileError(DAMAGED, new Error(`rtf: a control word longer than ${MAX_NAME} letters at ${start}`));
    const name = b.toString("latin1", start + 1, end);
    let param: number | null = null;
    const numStart = end;
    if (b[end] === 0x2d && isDigit(b[end + 1] ?? 0)) end++;
    while (end < b.length && isDigit(b[end]!)) end++;
    if (end > numStart) {
      if (end - numStart > MAX_DIGITS + 1) throw new BadFileError(DAMAGED, new Error(`rtf: a control word's parameter too long at ${start}`));
      param = Number(b.toString("latin1", numStart, end));
    }
    if (b[end] === 0x20) end++;
    if (name === "bin") return this.bin(start, end, param);
    this.pos = end;
    return { kind: "word", name, param, start, end };
  }

  private symbol(start: number, ch: number): Token {
    if (ch !== 0x27) {
      this.pos = start + 2;
      return { kind: "symbol", ch: String.fromCharCode(ch), byte: null, start, end: this.pos };
    }
    const hi = hexValue(this.bytes[start + 2] ?? 0);
    const lo = hexValue(this.bytes[start + 3] ?? 0);
    if (hi < 0 || lo < 0) throw new BadFileError(DAMAGED, new Error(`rtf: \\' without two hex digits at ${start}`));
    this.pos = start + 4;
    return { kind: "symbol", ch: "'", byte: hi * 16 + lo, start, end: this.pos };
  }

  private bin(start: number, dataStart: number, length: number | null): Token {
    const n = length ?? 0;
    if (n < 0 || dataStart + n > this.bytes.length) throw new BadFileError(DAMAGED, new Error(`rtf: \\bin${n} runs past the end of the file at ${start}`));
    this.pos = dataStart + n;
    return { kind: "bin", start, end: this.pos, dataStart };
  }
}
