import { outsideZero } from "./metafile-proof-emf.js";
import type { ProofFailure } from "./shared.js";

type Span = readonly [number, number];

/**
 * What EMF+ objects and records of running data may hold ([MS-EMFPLUS] 2.2.1, 2.3.4, 2.3.5),
 * walked apart from the cleaner's code: a cursor reads each field in turn and keeps its span;
 * what no span covers must be zeros.
 */
class Cursor {
  readonly spans: Span[] = [];
  constructor(
    readonly b: Buffer,
    public at: number,
  ) {}
  word(at = this.at): number {
    return at + 4 <= this.b.length ? this.b.readUInt32LE(at) : 0;
  }
  /** Keeps the next `n` bytes; says where they started. */
  keep(n: number): number {
    const from = this.at;
    this.spans.push([from, Math.min(from + n, this.b.length)]);
    this.at = Math.min(from + n, this.b.length);
    return from;
  }
  /** Reads a word and keeps it. */
  take(): number {
    return this.word(this.keep(4));
  }
  /** Passes over `n` bytes that must be zeros (reserved). */
  skip(n: number): void {
    this.at = Math.min(this.at + n, this.b.length);
  }
  /** Keeps the rest of the buffer. */
  rest(): void {
    this.keep(this.b.length - this.at);
  }
  /** Points: relative (a byte a coordinate, two with the high bit), 16-bit or floats. */
  points(count: number, flags: number): void {
    if (flags & 0x0800) {
      let n = this.at;
      for (let i = 0; i < 2 * count && n < this.b.length; i++) n += this.b[n]! >= 0x80 ? 2 : 1;
      this.keep(n - this.at);
    } else this.keep(count * (flags & 0x4000 ? 4 : 8));
  }
}

/** Image effects' parameter sizes by GUID as stored (MS-EMFPLUS 2.1.3.1); red-eye correction counts its areas. */
const EFFECT_SIZES: Record<string, (c: Cursor) => number> = {
  a4803c6343182b489ef2be2834c5fdd4: () => 8,
  e1dba1d3c48e174c9f4cea97ad1c343d: () => 8,
  "7d597e531e25da48966429ca496b70f8": () => 12,
  "22006adde458674a9d9bd48eb881a53d": () => 12,
  a972cea77f0fd740b3ccd0c02d5c3212: () => 1024,
  "15268f713379e340a5115f68fe14dd74": () => 100,
  c3d62d8b07eb874da5f07108e26a9c5f: () => 12,
  ec54c399312a3a4f8c3417a803b33a25: () => 12,
  "059dd274a469664295493cc52836b632": (c) => 4 + 16 * c.word(),
  eef3cb6326c52c408f7162c540bf5142: () => 8,
  "00af771048284144948944ad4c2d7a2c": () => 8,
};

/** The spans of a record of running data (`d` its data), or null for the other types. */
export function emfPlusRecordSpans(type: number, flags: number, d: Buffer): Span[] | null {
  const c = new Cursor(d, 0);
  const rects = (): void => void c.keep(c.take() * (flags & 0x4000 ? 8 : 16));
  const points = (): void => c.points(c.take(), flags);
  switch (type) {
    case 0x400a: // FillRects
      c.take();
      rects();
      break;
    case 0x400b: // DrawRects
      rects();
      break;
    case 0x400c: // FillPolygon
    case 0x4017: // DrawClosedCurve
      c.take();
      points();
      break;
    case 0x400d: // DrawLines
    case 0x4019: // DrawBeziers
      points();
      break;
    case 0x4016: // FillClosedCurve
      c.keep(8);
      points();
      break;
    case 0x4018: // DrawCurve
      c.keep(12);
      c.points(c.take(), flags & ~0x0800);
      break;
    case 0x401b: // DrawImagePoints
      c.keep(24);
      points();
      break;
    case 0x401c: // DrawString
      c.keep(8);
      c.keep(2 * c.take() + 16);
      break;
    case 0x4036: {
      // DrawDriverString
      c.keep(8);
      const matrix = c.take();
      c.keep(10 * c.take() + (matrix ? 24 : 0));
      break;
    }
    case 0x4038: {
      // SerializableObject
      const effect = EFFECT_SIZES[d.subarray(0, 16).toString("hex")];
      c.keep(16);
      const size = c.take();
      if (effect != null) c.keep(Math.min(size, effect(c)));
      break;
    }
    default:
      return null;
  }
  return c.spans;
}

/** Null when an object of `type` (all its pieces put together in `o`) holds nothing past what its fields take. */
export function proveEmfPlusObject(type: number, o: Buffer): ProofFailure | null {
  const c = new Cursor(o, 0);
  try {
    objectBody(type, c, 0);
  } catch (err) {
    if (err instanceof RangeError) return "an EMF+ region nested too deep";
    throw err;
  }
  return outsideZero(o, c.spans, `an EMF+ object of type ${type}`);
}

function objectBody(type: number, c: Cursor, depth: number): void {
  switch (type) {
    case 1:
      return brush(c);
    case 2: {
      c.take();
      c.take();
      const flags = c.take();
      c.keep(8);
      const sizes: Array<[number, () => void]> = [
        [0x01, () => c.keep(24)],
        [0x02, () => c.keep(4)],
        [0x04, () => c.keep(4)],
        [0x08, () => c.keep(4)],
        [0x10, () => c.keep(4)],
        [0x20, () => c.keep(4)],
        [0x40, () => c.keep(4)],
        [0x80, () => c.keep(4)],
        [0x100, () => c.keep(4 * c.take())],
        [0x200, () => c.keep(4)],
        [0x400, () => c.keep(4 * c.take())],
        [0x800, () => sized(c, () => lineCap(c))],
        [0x1000, () => sized(c, () => lineCap(c))],
      ];
      for (const [flag, read] of sizes) if (flags & flag) read();
      return brush(c);
    }
    case 3:
      return pathObject(c);
    case 4:
      c.keep(8);
      return regionNode(c, depth);
    case 5:
      return imageObject(c);
    case 6:
      c.keep(16);
      c.skip(4);
      c.keep(2 * c.take());
      return;
    case 7: {
      c.keep(52);
      const tabs = c.take();
      const ranges = c.take();
      c.keep(4 * tabs + 8 * ranges);
      return;
    }
    case 8:
      c.take();
      c.skip(4);
      c.keep(12);
      return;
    case 9:
      return lineCap(c);
    default:
      return c.rest();
  }
}

/** A size word, then what `read` takes; the cursor moves to the end of the size whatever was read. */
function sized(c: Cursor, read: () => void): void {
  const end = c.at + 4 + c.take();
  read();
  c.at = Math.min(end, c.b.length);
}

function brush(c: Cursor): void {
  c.take();
  const type = c.take();
  if (type === 0) return void c.keep(4);
  if (type === 1) return void c.keep(12);
  const flags = c.word();
  const blend = (flag: number): void => {
    if (flags & flag) c.keep(8 * c.take());
  };
  if (type === 3) {
    c.keep(20);
    c.keep(4 * c.take());
    if (flags & 0x01) sized(c, () => pathObject(c));
    else c.keep(8 * c.take());
    if (flags & 0x02) c.keep(24);
    blend(0x04);
    blend(0x08);
    if (flags & 0x40) c.keep(12);
    return;
  }
  if (type === 4) {
    c.keep(32);
    c.skip(8);
    if (flags & 0x02) c.keep(24);
    blend(0x04);
    blend(0x08);
    blend(0x10);
    return;
  }
  c.rest();
}

function pathObject(c: Cursor): void {
  c.take();
  const count = c.take();
  const flags = c.take();
  c.points(count, flags);
  if (!(flags & 0x1000)) return void c.keep(count);
  let n = 0;
  while (n < count && c.at < c.b.length) n += c.b[c.keep(2)]! & 0x3f;
}

function regionNode(c: Cursor, depth: number): void {
  if (depth > 64) throw new RangeError("region");
  const type = c.take();
  if (type >= 1 && type <= 5) {
    regionNode(c, depth + 1);
    return regionNode(c, depth + 1);
  }
  if (type === 0x10000000) return void c.keep(16);
  if (type === 0x10000001) return sized(c, () => pathObject(c));
  if (type !== 0x10000002 && type !== 0x10000003) c.rest();
}

function lineCap(c: Cursor): void {
  c.take();
  const type = c.take();
  if (type === 1) return void c.keep(52);
  if (type !== 0) return c.rest();
  const flags = c.word();
  c.keep(48);
  if (flags & 0x01) sized(c, () => pathObject(c));
  if (flags & 0x02) sized(c, () => pathObject(c));
}

/** An image: a pixel bitmap's palette and rows, a metafile's data; a picture file of a known format runs to the end (the picture checks look into it), of none it is zeros. */
function imageObject(c: Cursor): void {
  c.take();
  const type = c.take();
  if (type === 2) {
    c.take();
    return void c.keep(c.take());
  }
  if (type === 1 && c.word(c.at + 16) === 1) {
    // A picture file: one of a format readers decode, or zeros.
    c.keep(20);
    const head = c.b.subarray(c.at, c.at + 4).toString("hex");
    if (["ffd8", "8950", "4749", "4949", "4d4d", "424d", "0000"].includes(head.slice(0, 4))) c.rest();
    return;
  }
  if (type !== 1 || c.word(c.at + 16) !== 0) return c.rest();
  c.take();
  const height = c.take();
  const stride = c.take();
  const format = c.take();
  c.take();
  if (format & 0x10000) {
    c.take();
    c.keep(4 * c.take());
  }
  c.keep(stride * height);
}

/**
 * Every EMF+ object of an EMF `b` whose records were walked already: the pieces of an object
 * continued over several records (each but the last flagged, its data after the whole size) put
 * together (an object whose last piece never comes too), then proved by proveEmfPlusObject.
 */
export function proveEmfPlusObjects(b: Buffer): ProofFailure | null {
  const pieces: Buffer[] = [];
  let kind = 0;
  for (let at = 0; at + 16 <= b.length; at += b.readUInt32LE(at + 4)) {
    if (b.readUInt32LE(at) !== 70 || b.toString("latin1", at + 12, at + 16) !== "EMF+") continue;
    const end = at + 12 + b.readUInt32LE(at + 8);
    for (let r = at + 16; r + 12 <= end; r += b.readUInt32LE(r + 4)) {
      if (b.readUInt16LE(r) !== 0x4008) continue;
      const flags = b.readUInt16LE(r + 2);
      const continued = (flags & 0x8000) !== 0;
      pieces.push(b.subarray(r + 12 + (continued ? 4 : 0), r + 12 + b.readUInt32LE(r + 8)));
      kind = (flags >> 8) & 0x7f;
      if (continued) continue;
      const failure = proveEmfPlusObject(kind, Buffer.concat(pieces));
      if (failure != null) return failure;
      pieces.length = 0;
    }
  }
  // Pieces whose last never came: as far as they go.
  return pieces.length > 0 ? proveEmfPlusObject(kind, Buffer.concat(pieces)) : null;
}
