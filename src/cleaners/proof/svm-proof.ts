import { ProofReader } from "./reader.js";
import type { ProofFailure } from "./shared.js";

/** Drawings larger than the cleaner takes are not walked. */
const MAX_BYTES = 64 * 1024 * 1024;
const MAX_NESTING = 8;
/** Drawing hints a cleaned SVM may keep: gradients, paths' fills and strokes, text breaks. */
const KEPT_COMMENTS = new Set([
  ...["XGRAD", "BGRAD", "XPATHFILL", "XPATHSTROKE"].flatMap((n) => [`${n}_SEQ_BEGIN`, `${n}_SEQ_END`]),
  ...["EOC", "EOW", "EOS", "EOL", "EOP", "PAINTSHAPE_BEGIN", "PAINTSHAPE_END"].map((n) => `XTEXT_${n}`),
]);

/**
 * Proves a cleaned StarView metafile holds nothing but drawing, walking it with code of its own:
 * its header's action count met exactly, each action a drawing one (100-151, no EPS) whose block
 * ends within the file, each comment a drawing hint or one of no name whose every byte is zero,
 * the metafiles nested in transparency actions the same, and nothing after the last action.
 * ExifTool does not read SVM, so without this walk nothing would look. Null when the proof
 * holds, else what broke it.
 */
export function proveSvm(file: string): Promise<ProofFailure | null> {
  return ProofReader.use(file, async (r) => {
    if (r.size > MAX_BYTES) return "too large to walk";
    const b = await r.bytes(0, r.size);
    if (b == null) return "unreadable";
    const walked = walk(b, 0, 0);
    if (typeof walked === "string") return walked;
    return walked === b.length ? null : `${b.length - walked} bytes after the last action`;
  });
}

/** The end of the metafile at `start`, or what is wrong with it. */
function walk(b: Buffer, start: number, nesting: number): number | string {
  if (nesting > MAX_NESTING) return "nested too deeply";
  if (b.subarray(start, start + 6).toString("latin1") !== "VCLMTF" || start + 12 > b.length) return "no header";
  const header = { from: start + 12, to: start + 12 + b.readUInt32LE(start + 8) };
  if (header.to > b.length || header.to - header.from < 4 + 6 + 8 + 4) return "header cut short";
  if (b.readUInt32LE(header.from) !== 0) return "compressed";
  // The compression mode, the map mode's versioned block, the preferred size, then the count.
  const mapMode = header.from + 4;
  const countAt = mapMode + 6 + b.readUInt32LE(mapMode + 2) + 8;
  if (countAt + 4 > header.to) return "no action count";
  let at = header.to;
  for (let left = b.readUInt32LE(countAt); left > 0; left--) {
    if (at + 8 > b.length) return "fewer actions than counted";
    const type = b.readUInt16LE(at);
    const from = at + 8;
    const to = from + b.readUInt32LE(at + 4);
    if (to > b.length) return `action ${type} past the end`;
    if (type === 512) {
      const failure = provenComment(b, from, to);
      if (failure != null) return failure;
    } else if (type === 147) {
      const inner = walk(b, from, nesting + 1);
      if (typeof inner === "string") return inner;
      if (inner > to) return "nested metafile past its action";
    } else if (type < 100 || type > 151 || type === 143) {
      return `action of type ${type}`;
    }
    at = to;
  }
  return at;
}

/**
 * A comment is a kept drawing hint, or one of no name whose bytes are all zero but its data size,
 * which counts the rest. Read in place, without a copy of each: a drawing can hold millions of
 * comments.
 */
function provenComment(b: Buffer, from: number, to: number): ProofFailure | null {
  const length = to - from;
  const nameLength = length >= 2 ? b.readUInt16LE(from) : 0;
  const nameEnd = from + 2 + nameLength;
  if (nameLength > 0 && nameEnd <= to && KEPT_COMMENTS.has(b.toString("latin1", from + 2, nameEnd))) return null;
  const sized = length >= 10;
  if (sized && b.readUInt32LE(from + 6) !== length - 10) return "an emptied comment's data size";
  for (let i = from; i < to; i++) {
    if (b[i] !== 0 && !(sized && i >= from + 6 && i < from + 10)) return `comment ${JSON.stringify(b.toString("latin1", from + 2, Math.min(nameEnd, to, from + 42)))}`;
  }
  return null;
}
