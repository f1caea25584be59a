import fsp from "node:fs/promises";
import { heifShapeHolds } from "../proof/heif-proof.js";
import { boxAt } from "./box-at.js";
import { scrubHeifBoxes, zeroRange } from "./heif-boxes.js";
import { removeItemSeiUserData } from "./heif-item-sei.js";
import { type HeifItems, type ReadMode, readHeifItems } from "./heif-items.js";

/** A `meta` box larger than this is left to ExifTool. */
const MAX_META_BYTES = 1024 * 1024;
const MAX_TOP_BOXES = 64;

export interface InPlaceOutcome {
  /** Exif and XMP items whose data was blanked. */
  metadataItems: number;
  /** SEI user-data messages overwritten in HEVC pictures. */
  seiUserData: number;
}

/**
 * HEIC/HEIF/AVIF cleaned without moving a byte: a copy of the file in which the Exif and XMP
 * items keep their entries but have no data left (their `iloc` lengths 0, as ExifTool's `-all=`
 * writes them), every `mdat` byte that no picture item's extent covers is zeroed (the metadata
 * items' data and whatever else lies unreferenced there, which ExifTool's rewrite would carry
 * along), then the handler name, the ICC profile and padding as after ExifTool (heif-boxes.ts).
 * The picture items' bytes stay as they were but for the SEI user data of HEVC pictures, which
 * becomes filler of the same length (heif-item-sei.ts).
 *
 * Taken only for the one plain shape readHeifItems knows (one `meta` at the top level beside
 * `ftyp`, `mdat` and padding; no metadata item referenced by another item or sharing bytes with a
 * picture) and only when the copy then passes heif-proof.ts; otherwise nothing is left at
 * `output` and the result is null, for ExifTool's rewrite to do the work.
 */
export async function blankHeifInPlace(top: HeifTop | null, input: string, output: string, fileType: string, dropIcc: boolean): Promise<InPlaceOutcome | null> {
  const plan = planHeifItems(top, "plain");
  if (plan == null) return null;
  await fsp.copyFile(input, output);
  let holds = false;
  let seiUserData = 0;
  try {
    seiUserData = await blankHeifItems(output, plan);
    await scrubHeifBoxes(output, dropIcc);
    holds = await heifShapeHolds(output, fileType);
  } finally {
    if (!holds) await fsp.rm(output, { force: true });
  }
  return holds ? { metadataItems: [...plan.items.items.values()].filter((i) => i.kind === "metadata").length, seiUserData } : null;
}

/**
 * After ExifTool's rewrite (which carries along, unread, the data of items it has no name for
 * and the `mdat` bytes no item points at): the same blanking, of every item that is not picture
 * coding and of the unreferenced bytes. Resolves to the SEI user-data messages overwritten, or to
 * null, having changed nothing, when the rewritten file's items cannot be read as readHeifItems'
 * `leftovers` or their data cannot be told apart from the pictures' (an item of no known type
 * that a picture is built from, an item's data overlapping a picture's or outside the file's
 * data): what ExifTool carried along could then not be found.
 */
export async function blankHeifLeftovers(file: string): Promise<number | null> {
  const plan = planHeifItems(await readHeifTop(file), "leftovers");
  return plan == null ? null : blankHeifItems(file, plan);
}

/**
 * `file`'s `meta` box as `plan` (read from the file it is a copy of) has it cleaned: the Exif and
 * XMP items emptied, the `idat` bytes no picture item covers zeroed; with `mdat`, the `mdat` bytes
 * no picture item covers too. Then the SEI user data of its HEVC pictures goes (heif-item-sei.ts):
 * resolves to the messages overwritten.
 */
export async function blankHeifItems(file: string, plan: HeifPlan, mdat = true): Promise<number> {
  const fh = await fsp.open(file, "r+");
  try {
    for (const item of plan.items.items.values()) {
      if (item.kind === "metadata") for (const { at, size } of item.lengthFields) plan.meta.fill(0, at, at + size);
    }
    for (const [from, to] of plan.unreferencedIdat) plan.meta.fill(0, from, to);
    for (const { from, to } of plan.items.names) plan.meta.fill(0, from, to);
    await fh.write(plan.meta, 0, plan.meta.length, plan.metaAt);
    if (mdat) for (const [from, to] of plan.unreferenced) await zeroRange(fh, from, to);
  } finally {
    await fh.close();
  }
  return removeItemSeiUserData(file, plan);
}

export interface HeifPlan {
  meta: Buffer;
  metaAt: number;
  items: HeifItems;
  /** File ranges inside `mdat` payloads that no picture item covers. */
  unreferenced: Array<[number, number]>;
  /** The same inside the `idat` payload, as ranges of the `meta` buffer. */
  unreferencedIdat: Array<[number, number]>;
}

/** A HEIF file's top level, walked once for every plan made of it. */
export interface HeifTop {
  /** The `meta` box, whole. */
  meta: { at: number; box: Buffer; payload: number } | null;
  /**
   * File ranges of the `mdat` payloads, and of top-level boxes of a type no reader knows (a
   * damaged `mdat` header, a tool's own box): items may point anywhere in the file, and what no
   * picture item covers there is blanked like `mdat` bytes.
   */
  mdats: Array<[number, number]>;
  /** The types of its boxes other than `ftyp`, `meta`, `mdat` and padding (an image sequence's `moov`). */
  others: Set<string>;
}

/**
 * `input`'s top-level boxes: null unless they start with `ftyp`, tile the file, are at most
 * MAX_TOP_BOXES and hold at most one `meta`, of at most MAX_META_BYTES.
 */
export async function readHeifTop(input: string): Promise<HeifTop | null> {
  const fh = await fsp.open(input, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(16);
    const top: HeifTop = { meta: null, mdats: [], others: new Set() };
    for (let at = 0, count = 0; at < size; count++) {
      if (count >= MAX_TOP_BOXES) return null;
      const { bytesRead } = await fh.read(head, 0, 16, at);
      const box = boxAt(head.subarray(0, bytesRead), 0, size - at);
      if (box == null || (count === 0) !== (box.type === "ftyp")) return null;
      if (box.type === "meta") {
        if (top.meta != null || box.size > MAX_META_BYTES) return null;
        const buf = Buffer.alloc(box.size);
        await fh.read(buf, 0, box.size, at);
        top.meta = { at, box: buf, payload: box.headerSize + 4 };
      } else if (box.type === "mdat") top.mdats.push([at + box.headerSize, at + box.size]);
      else if (!["ftyp", "free", "skip"].includes(box.type)) {
        top.others.add(box.type);
        if (box.type !== "moov") top.mdats.push([at + box.headerSize, at + box.size]);
      }
      at += box.size;
    }
    return top;
  } finally {
    await fh.close();
  }
}

/**
 * The blanking of the file whose top level is `top`. In `sequence` mode, the file may hold other
 * top-level boxes beside `meta`, `mdat` and padding (an image sequence's `moov`), which the
 * caller cleans. The plan holds a copy of the `meta` box, to blank without touching `top`'s.
 */
export function planHeifItems(top: HeifTop | null, mode: ReadMode): HeifPlan | null {
  if (top == null || (top.others.size > 0 && mode === "plain")) return null;
  const { meta, mdats } = top;
  if (meta == null || meta.box.readUInt32BE(meta.payload - 4) !== 0) return null;
  const box = Buffer.from(meta.box);
  const items = readHeifItems(box, meta.payload, mode);
  if (items == null || !referencesLeaveMetadataAlone(items)) return null;
  const idat: Array<[number, number]> = items.idat == null ? [] : [[items.idat.from, items.idat.to]];
  const unreferenced = uncovered(items, mdats, false);
  const unreferencedIdat = uncovered(items, idat, true);
  if (unreferenced == null || unreferencedIdat == null) return null;
  return { meta: box, metaAt: meta.at, items, unreferenced, unreferencedIdat };
}

/** A metadata item may only describe (`cdsc`) others; nothing may point at one (a grid built from it, say). */
function referencesLeaveMetadataAlone({ items, references }: HeifItems): boolean {
  const isMetadata = (id: number): boolean => items.get(id)?.kind === "metadata";
  return references.every((r) => !r.to.some(isMetadata) && (r.type === "cdsc" || !isMetadata(r.from)));
}

/**
 * The ranges of the `mdat` payloads (or, `inIdat`, of the `idat` payload, given and returned as
 * `meta` buffer ranges) outside every picture extent there; null when an extent lies outside
 * them or a metadata extent shares bytes with a picture's.
 */
function uncovered({ items }: HeifItems, areas: ReadonlyArray<[number, number]>, inIdat: boolean): Array<[number, number]> | null {
  const shift = inIdat ? (areas[0]?.[0] ?? 0) : 0;
  const all = [...items.values()].map((i) => ({ kind: i.kind, extents: i.extents.filter((e) => e.inIdat === inIdat).map((e) => ({ from: e.from + shift, to: e.to + shift })) }));
  const inside = (e: { from: number; to: number }): boolean => areas.some(([from, to]) => e.from >= from && e.to <= to);
  if (!all.every((i) => i.extents.every(inside))) return null;
  const pictures = all.filter((i) => i.kind === "picture").flatMap((i) => i.extents);
  const metadata = all.filter((i) => i.kind === "metadata").flatMap((i) => i.extents);
  if (metadata.some((m) => pictures.some((p) => m.from < p.to && p.from < m.to))) return null;
  pictures.sort((a, b) => a.from - b.from);
  const out: Array<[number, number]> = [];
  for (const [from, to] of areas) {
    let at = from;
    for (const p of pictures) {
      if (p.to <= from || p.from >= to) continue;
      if (p.from > at) out.push([at, p.from]);
      at = Math.max(at, p.to);
    }
    if (at < to) out.push([at, to]);
  }
  return out;
}
