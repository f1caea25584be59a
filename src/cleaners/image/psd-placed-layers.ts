import { createHash } from "node:crypto";
import { TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { Assembly } from "./psd-assembly.js";
import { descriptorEnd, type DescriptorValue } from "./psd-descriptor.js";
import type { TaggedBlock } from "./psd-tagged-blocks.js";

/** A placed layer's settings are a descriptor of a few kilobytes: a longer one is not read. */
const MAX_SETTINGS = 16 * 1024 * 1024;
/** Block keys of a placed (smart object) layer's settings: a descriptor (`SoLd`, `SoLE`), the older fixed fields (`PlLd`, `plLd`). */
export const PLACED_LAYER_BLOCKS: ReadonlySet<string> = new Set(["SoLd", "SoLE", "PlLd", "plLd"]);
/**
 * A UUID, of any version: a time-based one (version 1) holds the moment it was made, to 100 ns,
 * and the making machine's node, and one damaged in its version digit still does.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Values naming a file by its place on disk: a Mac alias, a path. */
const FILE_REFERENCES: ReadonlySet<string> = new Set(["alis", "Pth "]);

/** Values rewritten in one document's placed layers at most: two ids in each layer's settings, and Photoshop allows 8,000 layers. */
const MAX_REWRITES = 100_000;

/** Values rewritten so far in one document's placed layers (MAX_REWRITES at most). */
export interface RewriteCount {
  values: number;
}

/**
 * A placed layer's settings (Photoshop File Formats Specification, "Placed Layer Data" `SoLd`,
 * `SoLE` for a linked one, and the older "Placed Layer" `PlLd`/`plLd`), rewritten. What real
 * documents put there is the layer's geometry (transform, warp, size, resolution), pages, frames,
 * the layer comp shown, and two ids: `Idnt`, the id of the embedded file's item (the layer's link
 * to its contents, psd-linked-files.ts), and `placed`, the placing's own. Photoshop for macOS
 * writes them as time-based UUIDs, which tell when the object was placed: every UUID there, under
 * any key, becomes one derived from it (derivedId), the same wherever it stands (the embedded
 * file's item too), so that the link holds. A file
 * reference (an alias or a path, which name the author's folders) becomes empty. Resolves to the
 * block's new data (ranges of the file around the rewritten values, so a long one costs no
 * memory), or null for a block of a shape this module does not know, which goes (the layer keeps
 * its pixels).
 */
export async function cleanPlacedLayer(src: FileBytes, block: TaggedBlock, count: RewriteCount): Promise<Assembly | null> {
  if (block.size > MAX_SETTINGS) throw new TooComplexError(`psd: a placed layer's settings over ${MAX_SETTINGS} bytes`);
  const data = await src.read(block.dataAt, block.size);
  const type = data.toString("latin1", 0, 4);
  // SoLd and SoLE: type, version 4 or 5, the descriptor's version (16), the descriptor.
  if (type === "soLD" && data.length >= 12 && data.readUInt32BE(8) === 16) return rewritten(data, block.dataAt, 12, count, new Assembly());
  // PlLd: type, version 3, the unique id (a Pascal string), pages, anti-aliasing, layer type, the
  // transform (eight doubles), the warp's version and its descriptor's version, the warp descriptor.
  if (type === "plcL" && data.length >= 9) {
    const idEnd = 9 + data[8]!;
    const warpAt = idEnd + 16 + 64 + 8;
    if (warpAt > data.length) return null;
    const id = Buffer.from(data.subarray(9, idEnd));
    withDerivedId(id, 0, id.length);
    const head = new Assembly().copy(block.dataAt, block.dataAt + 9).bytes(id).copy(block.dataAt + idEnd, block.dataAt + warpAt);
    return rewritten(data, block.dataAt, warpAt, count, head);
  }
  return null;
}

/**
 * `out` followed by the settings `data` (at `base` in the file) from `at` on, the descriptor at
 * `at` rewritten (see cleanPlacedLayer), what follows it (padding) as it is; or null when it is
 * not a descriptor this walk reads: the block goes.
 */
function rewritten(data: Buffer, base: number, at: number, count: RewriteCount, out: Assembly): Assembly | null {
  const values: DescriptorValue[] = [];
  try {
    // Walked for its values: a descriptor it cannot read to its end is not one to rewrite.
    descriptorEnd(data, at, (v) => {
      if (!(isId(data, v) || FILE_REFERENCES.has(v.type))) return;
      if (++count.values > MAX_REWRITES) throw new TooComplexError(`psd: more than ${MAX_REWRITES} values to rewrite in placed layers`);
      values.push(v);
    });
  } catch (err) {
    if (err instanceof TooComplexError) throw err;
    return null;
  }
  let copied = at;
  for (const v of values.sort((a, b) => a.at - b.at)) {
    out.copy(base + copied, base + v.at);
    out.bytes(v.type === "TEXT" ? derivedUnicodeId(data, v.at, v.end) : Buffer.alloc(4));
    copied = v.end;
  }
  return out.copy(base + copied, base + data.length);
}

/** Whether `v` is text of a UUID (and NULs, as Photoshop ends them), under any key. */
function isId(b: Buffer, v: DescriptorValue): boolean {
  return v.type === "TEXT" && v.end - v.at <= 4 + 2 * 40 && UUID.test(unicodeText(b, v.at, v.end));
}

/** The Unicode string in [at, end) of `b` (a count of UTF-16 units, the units), without trailing NULs. */
function unicodeText(b: Buffer, at: number, end: number): string {
  return Buffer.from(b.subarray(at + 4, end)).swap16().toString("utf16le").replace(/\0+$/, "");
}

/** The Unicode id in [at, end) of `b`, a UUID, derived (its NULs kept). */
function derivedUnicodeId(b: Buffer, at: number, end: number): Buffer {
  const value = Buffer.from(b.subarray(at, end));
  Buffer.from(derivedId(unicodeText(b, at, end)), "utf16le").swap16().copy(value, 4);
  return value;
}

/** The id in [from, to) of `b` (latin1, as a Pascal string's text), made derived in place when a UUID. */
export function withDerivedId(b: Buffer, from: number, to: number): void {
  const id = b.toString("latin1", from, to);
  if (UUID.test(id)) b.write(derivedId(id), from, "latin1");
}

/**
 * A random-looking UUID (version 4's shape) computed from `id`: the same id gives the same one,
 * in any block, so the layer's link to its embedded file holds, while neither the time nor the
 * node of a time-based id can be read from it.
 */
function derivedId(id: string): string {
  const h = createHash("sha256").update(id.toLowerCase()).digest("hex");
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
