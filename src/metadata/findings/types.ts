import type { RawTags } from "../read-task.js";

/** What a file gives away, in the contract's order of kinds (see API.md, "Findings"). */
export const FINDING_KINDS = [
  "location",
  "people",
  "device",
  "time",
  "software",
  "identifiers",
  "previews",
  "ai",
  "provenance",
  "hidden",
  "embedded",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const SEVERITIES = ["high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One thing the file gives away; `tags` are the response's `group:Tag` names it comes from. */
export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** One English sentence; the web page translates by `kind`. */
  title: string;
  tags: string[];
  /** The value when one says it all (a position, a name). */
  value?: string;
}

/** One tag of ExifTool's `-G0` read, with the name the response shows for it. */
export interface TagEntry {
  group: string;
  tag: string;
  value: unknown;
  /** `exif:Make`, as `metadata.exif.Make` shows it (`File` keeps its case). */
  name: string;
}

/** Every grouped tag of a read, in ExifTool's order; the System group says nothing about the file. */
export function tagEntries(tags: RawTags): TagEntry[] {
  return Object.entries(tags).flatMap(([key, value]) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [];
    const group = key.slice(0, colon);
    if (group === "System" || group === "ExifTool") return [];
    const tag = key.slice(colon + 1);
    return [{ group, tag, value, name: `${group === "File" ? "File" : group.toLowerCase()}:${tag}` }];
  });
}

/** A tag's value as one line of text ("" for nothing worth showing). */
export function textOf(value: unknown): string {
  if (value == null) return "";
  if (Array.isArray(value)) return value.map(textOf).filter((v) => v !== "").join(", ");
  if (typeof value === "object") return "";
  const s = String(value).trim();
  return /^\(Binary data \d+ bytes/.test(s) ? "" : s;
}

/** The findings' value is a summary, not a dump: a long value is cut. */
export function shortValue(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

/** Files inside the file (`names`: their names or paths there), each with metadata of its own. */
export function embeddedFinding(names: readonly string[]): Finding {
  return {
    kind: "embedded",
    severity: "medium",
    title: `The file contains ${names.length} other file(s), each with metadata of its own.`,
    tags: [],
    value: shortValue(names.join("; ")),
  };
}

/** A finding from a set of tags, or none when no tag matched. */
export function fromTags(
  kind: FindingKind,
  severity: Severity,
  title: string,
  matched: readonly TagEntry[],
  value?: string,
): Finding[] {
  if (matched.length === 0) return [];
  const f: Finding = { kind, severity, title, tags: [...new Set(matched.map((t) => t.name))] };
  if (value != null && value !== "") f.value = shortValue(value);
  return [f];
}

/** The distinct non-empty values of some tags, joined for a finding's `value`. */
export function distinctValues(matched: readonly TagEntry[]): string {
  return [...new Set(matched.map((t) => textOf(t.value)).filter((v) => v !== ""))].join("; ");
}
