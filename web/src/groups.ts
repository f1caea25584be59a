import type { Groups, TagValue } from "./api.js";

/** One table of the page: an API group, except that GPS tags get a section of their own. */
export interface Section {
  id: string;
  label: string;
  tags: Array<[name: string, value: string]>;
}

const LABELS: Record<string, string> = {
  exif: "EXIF",
  gps: "GPS",
  iptc: "IPTC",
  xmp: "XMP",
  icc_profile: "ICC profile",
  makernotes: "MakerNotes",
  composite: "Composite",
  File: "File",
  jfif: "JFIF",
  png: "PNG",
  pdf: "PDF",
  id3: "ID3",
  riff: "RIFF",
  quicktime: "QuickTime",
  photoshop: "Photoshop",
  xml: "XML",
};

/** What a person most wants to see first; groups not named here follow in alphabetical order. */
const ORDER = ["exif", "gps", "iptc", "xmp", "icc_profile", "makernotes"];
const LAST = ["composite", "File"];

export function groupLabel(group: string): string {
  return LABELS[group] ?? group.charAt(0).toUpperCase() + group.slice(1);
}

export function formatValue(value: TagValue): string {
  if (value == null) return "";
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function sectionsOf(metadata: Groups): Section[] {
  const byId = new Map<string, Section>();
  const add = (id: string, name: string, value: TagValue): void => {
    let section = byId.get(id);
    if (section == null) {
      section = { id, label: groupLabel(id), tags: [] };
      byId.set(id, section);
    }
    section.tags.push([name, formatValue(value)]);
  };
  for (const [group, tags] of Object.entries(metadata)) {
    for (const [name, value] of Object.entries(tags)) {
      // ExifTool files GPS under EXIF (family 0); people look for it on its own.
      add(group === "exif" && name.startsWith("GPS") ? "gps" : group, name, value);
    }
  }
  const rank = (id: string): number => {
    const first = ORDER.indexOf(id);
    if (first >= 0) return first;
    const last = LAST.indexOf(id);
    return last >= 0 ? 1000 + last : ORDER.length;
  };
  return [...byId.values()].sort((a, b) => rank(a.id) - rank(b.id) || a.label.localeCompare(b.label));
}
