import { BigEndianFields } from "../big-endian-fields.js";
import { BadFileError } from "../errors.js";
import { type NalTrack, nalLengthSize, removeSampleSeiUserData, seiUserDataLeft } from "../media/iso-sei.js";
import type { Range } from "../media/iso-samples.js";
import { boxAt } from "./box-at.js";
import type { HeifPlan } from "./heif-in-place.js";

/**
 * SEI user data in a HEIC's pictures. An HEVC picture item's data is NAL units, each after a
 * length of the size its `hvcC` gives, as an MP4's samples are, and a writer may put SEI user data
 * unregistered among them (x265 writes its version and options there; heif-enc drops it, other
 * encoders and cameras need not): ExifTool's rewrite and the in-place blanking carry the item's
 * bytes along whole. Each such message becomes filler of the same length in place, as in an MP4's
 * samples (iso-sei.ts, which also zeroes what a writer put after a parameter set the data repeats):
 * decoders skip both, so the pixels stay, and nothing moves. An item whose
 * NAL lengths do not add up to its data is left as it is. Resolves to the messages removed; the
 * items written to are read again, and one left with user data fails the cleaning.
 */
export async function removeItemSeiUserData(file: string, plan: HeifPlan): Promise<number> {
  const { items, idat, properties } = plan.items;
  const lengthSizes = properties == null ? new Map<number, number>() : nalLengthSizes(plan.meta, properties);
  // An extent in `idat` lies in the `meta` box as written to the file.
  const idatAt = plan.metaAt + (idat?.from ?? 0);
  const byLengthSize = new Map<number, Range[][]>();
  for (const item of items.values()) {
    const lengthSize = lengthSizes.get(item.id);
    if (item.type !== "hvc1" || lengthSize == null) continue;
    const extents = item.extents.map((e) => (e.inIdat ? { start: idatAt + e.from, end: idatAt + e.to } : { start: e.from, end: e.to }));
    byLengthSize.set(lengthSize, [...(byLengthSize.get(lengthSize) ?? []), extents]);
  }
  let messages = 0;
  for (const [lengthSize, pictures] of byLengthSize) {
    // One walk over all the pictures (a grid's tiles lie back to back); one whose units do not
    // add up leaves the others to be walked one by one.
    const all = await cleanUnits(file, lengthSize, pictures.flat().sort((a, b) => a.start - b.start));
    if (all != null) messages += all;
    else for (const extents of pictures) messages += (await cleanUnits(file, lengthSize, extents)) ?? 0;
  }
  return messages;
}

/** The SEI user data of the NAL units in `samples` overwritten and checked gone: the messages removed, or null (nothing written) when the units do not add up. */
async function cleanUnits(file: string, lengthSize: number, samples: Range[]): Promise<number | null> {
  const track: NalTrack = { codec: "hevc", lengthSize, samples };
  const removed = await removeSampleSeiUserData(file, track);
  if (removed == null || removed.changed.length === 0) return removed?.messages ?? null;
  const left = await seiUserDataLeft(file, { ...track, samples: removed.changed });
  if (left !== 0) throw new BadFileError("The image's encoder information could not be removed.", new Error(`${String(left)} SEI user-data message(s) left in a HEIC picture`));
  return removed.messages;
}

/**
 * The NAL length size of each item's `hvcC` (the first associated with it), from the item
 * properties (`iprp`, its payload `meta[from, to)`): `ipma` associates the properties of `ipco`,
 * counted from 1, with items (ISO/IEC 23008-12 9.3). A box cut short ends the walk.
 */
function nalLengthSizes(meta: Buffer, { from, to }: { from: number; to: number }): Map<number, number> {
  const properties: Array<number | null> = [];
  const associations: Array<{ item: number; index: number }> = [];
  for (let at = from; at < to; ) {
    const box = boxAt(meta, at, to - at);
    if (box == null) break;
    const payload = at + box.headerSize;
    at += box.size;
    if (box.type === "ipco") {
      for (let p = payload; p < at; ) {
        const property = boxAt(meta, p, at - p);
        if (property == null) break;
        properties.push(property.type === "hvcC" ? nalLengthSize(meta.subarray(p + property.headerSize, p + property.size), "hevc") : null);
        p += property.size;
      }
    } else if (box.type === "ipma") associations.push(...readAssociations(meta, payload, at));
  }
  const sizes = new Map<number, number>();
  for (const { item, index } of associations) {
    const size = properties[index - 1];
    if (size != null && !sizes.has(item)) sizes.set(item, size);
  }
  return sizes;
}

/** An `ipma` box's associations (its payload is `meta[from, to)`), as far as they go. */
function readAssociations(meta: Buffer, from: number, to: number): Array<{ item: number; index: number }> {
  if (to - from < 4) return [];
  // Version 0 gives item ids in 2 bytes, 1 in 4; flag 1 makes each property index 15 bits, not 7 (the top bit says "essential").
  const [idSize, indexSize] = [meta[from] === 0 ? 2 : 4, (meta[from + 3]! & 1) === 1 ? 2 : 1];
  const f = new BigEndianFields(meta, from + 4, to);
  const out: Array<{ item: number; index: number }> = [];
  for (let n = f.uint(4) ?? 0; n > 0; n--) {
    const item = f.uint(idSize);
    const count = f.uint(1);
    if (item == null || count == null) return out;
    for (let i = 0; i < count; i++) {
      const index = f.uint(indexSize);
      if (index == null) return out;
      out.push({ item, index: index & (indexSize === 2 ? 0x7fff : 0x7f) });
    }
  }
  return out;
}
