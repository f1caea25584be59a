import { childBoxes } from "../../cleaners/media/iso-boxes.js";

/** The keys whose values are pictures: QuickTime's artwork, as Apple's apps write it. */
const ARTWORK_KEYS: ReadonlySet<string> = new Set(["com.apple.quicktime.artwork"]);

/**
 * The pictures of a QuickTime `meta` box of keyed metadata (held in `buf`, its header `header`
 * bytes long; QuickTime File Format, "Metadata"): a `keys` box lists the keys, numbered from 1, and
 * the `ilst` box holds one item a value, its type the key's number, each value a `data` box whose
 * payload follows 8 bytes of type and locale. Where the artwork keys' values lie in `buf`.
 */
export function keyedArtworkIn(buf: Buffer, header: number): Array<{ at: number; length: number }> {
  let from = header;
  const to = buf.length;
  // MP4's `meta` is a full box; QuickTime's is not: its children start at once.
  if (childBoxes(buf, from, to) == null) from += 4;
  const children = childBoxes(buf, from, to) ?? [];
  const keys = children.find((b) => b.type === "keys");
  const ilst = children.find((b) => b.type === "ilst");
  if (keys == null || ilst == null) return [];
  const wanted = artworkNumbers(buf, keys.at + keys.header, keys.at + keys.size);
  const found: Array<{ at: number; length: number }> = [];
  for (const item of childBoxes(buf, ilst.at + ilst.header, ilst.at + ilst.size) ?? []) {
    if (!wanted.has(buf.readUInt32BE(item.at + 4))) continue;
    for (const data of childBoxes(buf, item.at + item.header, item.at + item.size) ?? []) {
      const body = data.at + data.header + 8;
      if (data.type === "data" && body < data.at + data.size) found.push({ at: body, length: data.at + data.size - body });
    }
  }
  return found;
}

/** The numbers of the artwork keys in a `keys` box's body (version and flags, a count, then each key's size, namespace and name). */
function artworkNumbers(buf: Buffer, from: number, to: number): Set<number> {
  const numbers = new Set<number>();
  if (to - from < 8) return numbers;
  const count = buf.readUInt32BE(from + 4);
  let at = from + 8;
  for (let n = 1; n <= count && to - at >= 8; n++) {
    const size = buf.readUInt32BE(at);
    if (size < 8 || at + size > to) break;
    if (ARTWORK_KEYS.has(buf.toString("utf8", at + 8, at + size))) numbers.add(n);
    at += size;
  }
  return numbers;
}
