import type { MessageKey } from "./i18n.js";

/**
 * The findings as the API computes them (shared/API.md, "Findings"): the page only shows them,
 * in the order the API gives (most serious first), translated by kind.
 */
export type FindingKind =
  | "location" | "people" | "device" | "time" | "software" | "identifiers"
  | "previews" | "ai" | "provenance" | "hidden" | "embedded";
export type Severity = "high" | "medium" | "low";

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** One English sentence from the API. */
  title: string;
  tags: string[];
  value?: string;
  /** The file inside the file the finding is about (its path there), read from the title. */
  innerFile?: string;
  /** The files inside the file that all give away the same, read from the title: how many, their names as listed, the API's sentence after them. */
  innerFiles?: { count: number; names: string; sentence: string };
  /** How many files inside were not looked into, when the finding says only that. */
  notLookedInto?: number;
}

const KINDS: Record<FindingKind, { name: MessageKey; text: MessageKey }> = {
  location: { name: "kindLocation", text: "kindLocationText" },
  people: { name: "kindPeople", text: "kindPeopleText" },
  device: { name: "kindDevice", text: "kindDeviceText" },
  time: { name: "kindTime", text: "kindTimeText" },
  software: { name: "kindSoftware", text: "kindSoftwareText" },
  identifiers: { name: "kindIdentifiers", text: "kindIdentifiersText" },
  previews: { name: "kindPreviews", text: "kindPreviewsText" },
  ai: { name: "kindAi", text: "kindAiText" },
  provenance: { name: "kindProvenance", text: "kindProvenanceText" },
  hidden: { name: "kindHidden", text: "kindHiddenText" },
  embedded: { name: "kindEmbedded", text: "kindEmbeddedText" },
};

export const SEVERITY_KEYS: Record<Severity, MessageKey> = { high: "severityHigh", medium: "severityMedium", low: "severityLow" };

/** The messages naming and describing a kind; null for a kind this page does not know yet. */
export function kindMessages(kind: string): { name: MessageKey; text: MessageKey } | null {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind as FindingKind] : null;
}

/**
 * A finding about a file inside the file is titled by that file's path, then the sentence a file
 * of its own would get (README, "Findings"), which always starts "The file", "The document" or
 * "The PDF"; the last such start ends the path (a nested file's path holds " > "). A finding that
 * several files inside share names how many and which: "3 files inside (a.jpg, picture 1–2): The file ...".
 */
const INNER_TITLE = /^(.+): The (?:file|document|PDF)\b/s;
const SHARED_TITLE = /^(\d+) files inside \((.+)\): (The (?:file|document|PDF)\b.*)$/s;
/** The API's finding that counts the files inside it did not look into (the count is its value). */
const NOT_LOOKED_TITLE = /^\d+ file\(s\) inside were not looked into\b/;

/** Keeps the well-formed findings of an API answer, in the API's order. */
export function parseFindings(json: unknown): Finding[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((f: unknown): Finding[] => {
    if (typeof f !== "object" || f === null) return [];
    const o = f as Record<string, unknown>;
    if (typeof o["kind"] !== "string" || kindMessages(o["kind"]) == null) return [];
    if (o["severity"] !== "high" && o["severity"] !== "medium" && o["severity"] !== "low") return [];
    const finding: Finding = {
      kind: o["kind"] as FindingKind,
      severity: o["severity"],
      title: typeof o["title"] === "string" ? o["title"] : "",
      tags: Array.isArray(o["tags"]) ? o["tags"].filter((t): t is string => typeof t === "string") : [],
    };
    if (typeof o["value"] === "string") finding.value = o["value"];
    const shared = SHARED_TITLE.exec(finding.title);
    const inner = INNER_TITLE.exec(finding.title)?.[1];
    if (shared != null) finding.innerFiles = { count: Number(shared[1]), names: shared[2]!, sentence: shared[3]! };
    else if (inner != null) finding.innerFile = inner;
    if (finding.kind === "embedded" && NOT_LOOKED_TITLE.test(finding.title) && /^\d+$/.test(finding.value ?? "")) finding.notLookedInto = Number(finding.value);
    return [finding];
  });
}

export interface Position {
  lat: number;
  lon: number;
}

/** A location finding's value, "lat, lon" in decimal degrees. */
export function positionOf(value: string | undefined): Position | null {
  const m = /^\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)\s*$/.exec(value ?? "");
  if (m == null) return null;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : null;
}

export function mapLink(p: Position): string {
  const lat = p.lat.toFixed(6);
  const lon = p.lon.toFixed(6);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}
