import { TooComplexError } from "../errors.js";

/**
 * The document information a PostScript program hands to Distiller or Ghostscript's PDF writer:
 * `[ /Title (...) /Author (...) /CreationDate (...) /DOCINFO pdfmark`. gnuplot, dvips with
 * hyperref and printer drivers write it in the program itself, where ExifTool does not look (it
 * reads the DSC comments), and every PDF made from the file gets it as its Info dictionary
 * (Pillow's gnuplot sample names its author there and nowhere else).
 */
const DOCINFO = /\/DOCINFO(?=[\s()<>[\]{}/%]|$)/g;

/** The mark opening a pdfmark's operands lies this close before `/DOCINFO` in real programs. */
const WINDOW = 64 * 1024;
/** `[` met inside strings or comments of the operands before the real mark. */
const MAX_MARKS = 16;
/** Characters read looking for marks, in all, past which a program is deemed hostile. */
const MAX_SCANNED = 4 * 1024 * 1024;

const WHITESPACE = new Set(["\0", "\t", "\n", "\f", "\r", " "]);
const HEX = /[\s0-9A-Fa-f]/;
const DELIMITERS = new Set(["(", ")", "<", ">", "[", "]", "{", "}", "/", "%"]);

/** A range [start, end) of the program whose characters go. */
type Range = readonly [number, number];

/**
 * Empties the strings (literal and hex) among the operands of each `/DOCINFO` pdfmark and the
 * comments between them; names, numbers and the operator stay, so the program runs as before and
 * a PDF made from it gets an Info dictionary with the same keys and empty values. Operands that
 * are not plain values (a procedure, an array) are not a document information pdfmark: such a
 * `/DOCINFO` is left as it is. Resolves to the program and how many pdfmarks were emptied.
 */
export function emptyDocumentInfo(ps: string): { ps: string; emptied: number } {
  const cuts: Range[] = [];
  let emptied = 0;
  const budget = { scanned: 0 };
  for (const m of ps.matchAll(DOCINFO)) {
    const operands = operandsBefore(ps, m.index, budget);
    if (operands == null) continue;
    cuts.push(...operands);
    emptied += 1;
  }
  if (cuts.length === 0) return { ps, emptied };
  const parts: string[] = [];
  let from = 0;
  for (const [start, end] of cuts) {
    // Two pdfmarks whose operator is not `pdfmark` itself can share their first operands.
    if (start < from) continue;
    parts.push(ps.slice(from, start));
    from = end;
  }
  parts.push(ps.slice(from));
  return { ps: parts.join(""), emptied };
}

/**
 * The ranges to empty among the operands of the pdfmark whose `/DOCINFO` is at `target`: from
 * the nearest `[` before it from which every token up to it is a plain value, or null. A `[`
 * inside a string (`(Report [draft])`) fails and the one before it is tried.
 */
function operandsBefore(ps: string, target: number, budget: { scanned: number }): Range[] | null {
  const lowest = Math.max(0, target - WINDOW);
  let mark = target;
  for (let tries = 0; tries < MAX_MARKS; tries++) {
    const from = mark;
    do mark -= 1;
    while (mark >= lowest && ps[mark] !== "[");
    spend(budget, from - mark);
    if (mark < lowest) return null;
    const { ranges, scanned } = plainValues(ps, mark + 1, target);
    spend(budget, scanned);
    if (ranges != null) return ranges;
  }
  return null;
}

function spend(budget: { scanned: number }, n: number): void {
  budget.scanned += n;
  if (budget.scanned > MAX_SCANNED) throw new TooComplexError("PostScript document information pdfmarks over the scan budget");
}

/**
 * Reads the tokens in [from, to) (PostScript Language Reference, 3.2): `ranges` holds the inside
 * of each string and comment when every token is a name, number, string or comment and the last
 * one ends right at `to`, else null; `scanned`, how many characters were read to find out.
 */
function plainValues(ps: string, from: number, to: number): { ranges: Range[] | null; scanned: number } {
  const ranges: Range[] = [];
  let at = from;
  // A string that does not close before `to` was read up to it.
  const verdict = (ok: boolean, reach = at): { ranges: Range[] | null; scanned: number } => ({ ranges: ok ? ranges : null, scanned: reach - from + 1 });
  while (at < to) {
    const c = ps[at]!;
    if (WHITESPACE.has(c)) {
      at += 1;
    } else if (c === "%") {
      const end = lineEnd(ps, at, to);
      if (end == null) return verdict(false, to);
      ranges.push([at + 1, end]);
      at = end;
    } else if (c === "(") {
      const end = literalEnd(ps, at, to);
      if (end == null) return verdict(false, to);
      ranges.push([at + 1, end - 1]);
      at = end;
    } else if (c === "<" && ps[at + 1] !== "<") {
      let end = at + 1;
      while (end < to && HEX.test(ps[end]!)) end++;
      if (end >= to || ps[end] !== ">") return verdict(false, end);
      ranges.push([at + 1, end]);
      at = end + 1;
    } else if (DELIMITERS.has(c) && c !== "/") {
      return verdict(false);
    } else {
      let end = at + 1;
      while (end < to && !WHITESPACE.has(ps[end]!) && !DELIMITERS.has(ps[end]!)) end++;
      // Another pdfmark in between: this `[` opened that one's operands.
      if (ps.slice(at, end) === "pdfmark") return verdict(false);
      at = end;
    }
  }
  return verdict(at === to);
}

/** Where the comment starting at `at` ends (its line end), if before `to`. */
function lineEnd(ps: string, at: number, to: number): number | null {
  for (let end = at; end < to; end++) if (ps[end] === "\n" || ps[end] === "\r") return end;
  return null;
}

/** After the `)` closing the literal string opening at `at` (balanced parentheses, `\` escapes), if before `to`. */
function literalEnd(ps: string, at: number, to: number): number | null {
  let depth = 0;
  for (let i = at; i < to; i++) {
    const c = ps[i];
    if (c === "\\") i += 1;
    else if (c === "(") depth += 1;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return null;
}
