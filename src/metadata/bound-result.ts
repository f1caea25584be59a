import type { TagValue } from "./shape.js";

/** The contract's "Limits of a request": one value, and a whole result, in the JSON. */
export const MAX_VALUE_BYTES = 1024 * 1024;
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;

/** Tighter cuts tried in turn when the values' own cut still leaves a result over its limit. */
const FALLBACK_CUTS = [64 * 1024, 4 * 1024, 256];

type Groups = Record<string, Record<string, TagValue>>;

/**
 * Cuts the metadata to the contract's bounds, in place, saying so in `warnings`: every string value
 * to 1 MiB (a PNG's zTXt inflating to 25 MB), then, if the whole is still over 16 MiB, every value
 * shorter, and at last whole tags, the last ones first.
 */
export function boundMetadata(metadata: Groups, warnings: string[]): void {
  const cut = cutStrings(metadata, MAX_VALUE_BYTES);
  for (const name of cut.slice(0, 20)) warnings.push(`The value of ${name} was cut to 1 MiB.`);
  if (cut.length > 20) warnings.push(`${cut.length - 20} more values were cut to 1 MiB.`);
  if (jsonBytes(metadata) <= MAX_RESULT_BYTES) return;
  for (const limit of FALLBACK_CUTS) {
    cutStrings(metadata, limit);
    if (jsonBytes(metadata) <= MAX_RESULT_BYTES) {
      warnings.push(`The result was over 16 MiB: values were cut to ${limit} bytes.`);
      return;
    }
  }
  let dropped = 0;
  for (const group of Object.keys(metadata).reverse()) {
    const tags = metadata[group]!;
    for (const tag of Object.keys(tags).reverse()) {
      if (group === "File" || jsonBytes(metadata) <= MAX_RESULT_BYTES) continue;
      delete tags[tag];
      dropped++;
    }
  }
  warnings.push(`The result was over 16 MiB: ${dropped} tags were left out.`);
}

/** Cuts every string longer than `limit` UTF-8 bytes; returns the `group:Tag` names it cut. */
function cutStrings(metadata: Groups, limit: number): string[] {
  const cut: string[] = [];
  for (const [group, tags] of Object.entries(metadata)) {
    for (const [tag, value] of Object.entries(tags)) {
      const bounded = boundValue(value, limit);
      if (bounded !== value) {
        tags[tag] = bounded;
        cut.push(`${group}:${tag}`);
      }
    }
  }
  return cut;
}

function boundValue(value: TagValue, limit: number): TagValue {
  if (typeof value === "string") return cutUtf8(value, limit);
  if (Array.isArray(value)) {
    const items = value.map((v) => boundValue(v, limit));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  if (value != null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]): [string, TagValue] => [k, boundValue(v, limit)]);
    return entries.some(([k, v]) => v !== value[k]) ? Object.fromEntries(entries) : value;
  }
  return value;
}

/** `s` cut to at most `limit` UTF-8 bytes. */
export function cutUtf8(s: string, limit: number): string {
  if (s.length <= limit / 3 || Buffer.byteLength(s) <= limit) return s;
  // A multi-byte character cut in two decodes as U+FFFD: drop it.
  return Buffer.from(s, "utf8").subarray(0, limit).toString("utf8").replace(/\uFFFD$/, "");
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v));
}
