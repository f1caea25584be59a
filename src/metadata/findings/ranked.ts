import { cutUtf8, MAX_VALUE_BYTES } from "../bound-result.js";
import { FINDING_KINDS, type Finding, SEVERITIES } from "./types.js";

// Apart from the looks (index.ts), which the main thread never runs: it only merges their findings.

/**
 * `found` followed by `more`, ranked as `findingsOf` ranks: what the PDF cleaner saw in the
 * objects it dumped (`pdfObjects: false` above) takes the place it has in a findings look.
 */
export function withFindings(found: readonly Finding[], more: readonly Finding[]): Finding[] {
  return more.length === 0 ? [...found] : ranked([...found, ...more]);
}

/** Most serious first, then in the contract's order of kinds, otherwise in the order given; values cut. */
export function ranked(all: readonly Finding[]): Finding[] {
  const rank = (f: Finding): number => SEVERITIES.indexOf(f.severity) * FINDING_KINDS.length + FINDING_KINDS.indexOf(f.kind);
  return all
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => (f.value != null ? { ...f, value: cutUtf8(f.value, MAX_VALUE_BYTES) } : f));
}
