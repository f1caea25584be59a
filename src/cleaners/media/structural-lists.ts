import type { FoundTag } from "../types.js";

/**
 * A cleaner's test for the tags that describe a format's streams, not its metadata: a whitelist
 * of tag names per ExifTool group, plus tags that count only with the neutral value our muxer
 * writes (a real date or id in the same field is metadata).
 */
export function structuralTags(
  lists: Readonly<Record<string, readonly string[]>>,
  neutral: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {},
): (t: FoundTag) => boolean {
  const sets = new Map(Object.entries(lists).map(([group, tags]) => [group, new Set(tags)]));
  return (t) => {
    if (sets.get(t.group)?.has(t.tag) === true) return true;
    const values = neutral[t.group]?.[t.tag];
    return values != null && typeof t.value === "string" && values.includes(t.value);
  };
}

/** True when any of the tests says so. */
export function anyOf(...tests: ReadonlyArray<(t: FoundTag) => boolean>): (t: FoundTag) => boolean {
  return (t) => tests.some((test) => test(t));
}
