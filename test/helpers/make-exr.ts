/**
 * OpenEXR files built by hand (https://openexr.com/en/latest/OpenEXRFileLayout.html), so that
 * every layout the cleaner rebuilds can be made (ffmpeg writes single-part scan-line files only):
 * scan lines or tiles (one level or mipmaps), one part or several, uncompressed half-float R, G
 * and B, with attributes of a writer's and bytes no offset points into.
 */

const MAGIC = Buffer.from([0x76, 0x2f, 0x31, 0x01]);
const HALF = 1;

export interface ExrPart {
  width: number;
  height: number;
  /** Tile size and level mode (0 one level, 1 mipmaps, rounded down); scan lines when absent. */
  tiles?: { size: number; mode: 0 | 1 };
  /** Attributes besides the required ones (see `exrAttribute`). */
  extra?: readonly Buffer[];
  /** A multi-part file's part name. */
  name?: string;
}

/** One attribute: name, NUL, type, NUL, the value's size and the value. */
export function exrAttribute(name: string, type: string, value: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32LE(value.length);
  return Buffer.concat([Buffer.from(`${name}\0${type}\0`, "latin1"), size, value]);
}

export const exrString = (name: string, text: string): Buffer => exrAttribute(name, "string", Buffer.from(text, "latin1"));

export function exrFloat(name: string, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return exrAttribute(name, "float", b);
}

/** A preview attribute: its width and height, then RGBA bytes (here the marker's, repeated). */
export function exrPreview(width: number, height: number, fill: string): Buffer {
  const size = Buffer.alloc(8);
  size.writeUInt32LE(width, 0);
  size.writeUInt32LE(height, 4);
  const pixels = Buffer.alloc(width * height * 4);
  pixels.fill(fill, 0, pixels.length, "latin1");
  return exrAttribute("preview", "preview", Buffer.concat([size, pixels]));
}

/** The channel list B, G, R (half floats, sampled 1:1), each channel's reserved bytes as given. */
function channels(reserved: Buffer): Buffer {
  const one = (name: string): Buffer => {
    const b = Buffer.alloc(name.length + 1 + 16);
    b.write(name, 0, "latin1");
    b.writeInt32LE(HALF, name.length + 1);
    reserved.copy(b, name.length + 6, 0, 3);
    b.writeInt32LE(1, name.length + 9);
    b.writeInt32LE(1, name.length + 13);
    return b;
  };
  return exrAttribute("channels", "chlist", Buffer.concat([one("B"), one("G"), one("R"), Buffer.alloc(1)]));
}

function box(name: string, width: number, height: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(width - 1, 8);
  b.writeInt32LE(height - 1, 12);
  return exrAttribute(name, "box2i", b);
}

/** A half float of the pixel at (x, y) in channel c of a level: finite, and different across the picture. */
const sample = (x: number, y: number, c: number, level: number): number => (x * 37 + y * 11 + c * 101 + level * 7) % 0x3c00;

/** Uncompressed pixel data of a rectangle: for each line, each channel's samples in turn. */
function pixels(x0: number, y0: number, width: number, height: number, level: number): Buffer {
  const b = Buffer.alloc(width * height * 3 * 2);
  let at = 0;
  for (let y = y0; y < y0 + height; y++) for (let c = 0; c < 3; c++) for (let x = x0; x < x0 + width; x++, at += 2) b.writeUInt16LE(sample(x, y, c, level), at);
  return b;
}

const int32s = (...values: number[]): Buffer => {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
};

/** The chunks of a part, each with its header (without a part number). */
function chunksOf(part: ExrPart): Buffer[] {
  const chunks: Buffer[] = [];
  if (part.tiles == null) {
    for (let y = 0; y < part.height; y++) {
      const data = pixels(0, y, part.width, 1, 0);
      chunks.push(Buffer.concat([int32s(y, data.length), data]));
    }
    return chunks;
  }
  const { size, mode } = part.tiles;
  for (let level = 0; ; level++) {
    const w = Math.max(Math.floor(part.width / 2 ** level), 1);
    const h = Math.max(Math.floor(part.height / 2 ** level), 1);
    for (let ty = 0; ty * size < h; ty++) {
      for (let tx = 0; tx * size < w; tx++) {
        const data = pixels(tx * size, ty * size, Math.min(size, w - tx * size), Math.min(size, h - ty * size), level);
        chunks.push(Buffer.concat([int32s(tx, ty, level, level, data.length), data]));
      }
    }
    if (mode === 0 || (w === 1 && h === 1)) return chunks;
  }
}

/**
 * An OpenEXR file of `parts` (multi-part when more than one), with `reserved` in every channel's
 * reserved bytes, `between` after each chunk and `trailer` after the last.
 */
export function buildExr(parts: readonly ExrPart[], opts: { reserved?: Buffer; between?: Buffer; trailer?: Buffer } = {}): Buffer {
  const multipart = parts.length > 1;
  const tiledSingle = !multipart && parts[0]!.tiles != null;
  const version = Buffer.alloc(4);
  version.writeUInt32LE(2 | (tiledSingle ? 0x200 : 0) | (multipart ? 0x1000 : 0));
  const partChunks = parts.map(chunksOf);
  const headers = parts.map((part, i) => {
    const attrs = [
      channels(opts.reserved ?? Buffer.alloc(3)),
      exrAttribute("compression", "compression", Buffer.from([0])),
      box("dataWindow", part.width, part.height),
      box("displayWindow", part.width, part.height),
      exrAttribute("lineOrder", "lineOrder", Buffer.from([0])),
      exrFloat("pixelAspectRatio", 1),
      exrAttribute("screenWindowCenter", "v2f", Buffer.alloc(8)),
      exrFloat("screenWindowWidth", 1),
      ...(part.tiles != null ? [exrAttribute("tiles", "tiledesc", Buffer.concat([int32s(part.tiles.size, part.tiles.size), Buffer.from([part.tiles.mode])]))] : []),
      ...(multipart
        ? [exrString("name", part.name ?? `part${i}`), exrString("type", part.tiles != null ? "tiledimage" : "scanlineimage"), exrAttribute("chunkCount", "int", int32s(partChunks[i]!.length))]
        : []),
      ...(part.extra ?? []),
    ];
    return Buffer.concat([...attrs, Buffer.alloc(1)]);
  });
  const head = Buffer.concat([MAGIC, version, ...headers, Buffer.alloc(multipart ? 1 : 0)]);
  const total = partChunks.reduce((n, c) => n + c.length, 0);
  const tables = Buffer.alloc(total * 8);
  const body: Buffer[] = [];
  let at = head.length + tables.length;
  let entry = 0;
  const between = opts.between ?? Buffer.alloc(0);
  for (const [p, chunks] of partChunks.entries()) {
    for (const chunk of chunks) {
      const whole = multipart ? Buffer.concat([int32s(p), chunk]) : chunk;
      tables.writeBigUInt64LE(BigInt(at), entry++ * 8);
      body.push(whole, between);
      at += whole.length + between.length;
    }
  }
  return Buffer.concat([head, tables, ...body, opts.trailer ?? Buffer.alloc(0)]);
}
