import type { Groups, TagValue } from "./api.js";
import { formatValue, groupLabel } from "./groups.js";
import type { MessageKey } from "./i18n.js";

/** A tag that tells something about a person, a device or a place. */
export interface FindingItem {
  group: string;
  tag: string;
  value: string;
}

export interface Finding {
  kind: MessageKey;
  items: FindingItem[];
}

export interface Position {
  lat: number;
  lon: number;
}

/** ExifTool's composite position says it all; latitude and longitude alone would repeat it. */
const GPS = /^GPS(Position|Coordinates|Altitude)$/;
const SERIAL = /SerialNumber$/i;
const AUTHOR = new Set([
  "Artist", "Author", "By-line", "Creator", "OwnerName", "CameraOwnerName", "LastModifiedBy", "Copyright",
  "CopyrightNotice", "Rights", "Credit", "Writer-Editor", "Company", "Manager", "Initial-creator", "Contributor",
]);
const SOFTWARE = new Set([
  "Software", "CreatorTool", "Producer", "HistorySoftwareAgent", "Encoder", "EncodedBy", "Application", "AppVersion",
  "Generator", "ProcessingSoftware", "CompressorName",
]);
const THUMBNAIL = new Set(["ThumbnailImage", "ThumbnailTIFF", "PreviewImage", "PreviewTIFF", "JpgFromRaw", "OtherImage", "Picture", "CoverArt"]);
const DATE = /Date/;

/** Which finding a tag belongs to, if any. In PDF Info, `Creator` is the program that made the file. */
function kindOf(group: string, tag: string): MessageKey | null {
  if (group === "File") return null;
  if (GPS.test(tag)) return "kindGps";
  if (SERIAL.test(tag)) return "kindSerial";
  if (group === "pdf" && tag === "Creator") return "kindSoftware";
  if (AUTHOR.has(tag)) return "kindAuthor";
  if (SOFTWARE.has(tag)) return "kindSoftware";
  if (THUMBNAIL.has(tag)) return "kindThumbnail";
  if (DATE.test(tag)) return "kindDate";
  return null;
}

const KINDS: MessageKey[] = ["kindGps", "kindAuthor", "kindSerial", "kindSoftware", "kindDate", "kindThumbnail"];

/** Privacy-sensitive tags, by kind, in the order the page shows them; a value seen twice is shown once. */
export function findingsOf(metadata: Groups): Finding[] {
  const found = new Map<MessageKey, FindingItem[]>();
  for (const [group, tags] of Object.entries(metadata)) {
    for (const [tag, raw] of Object.entries(tags)) {
      const kind = kindOf(group, tag);
      if (kind == null) continue;
      const value = formatValue(raw);
      if (value === "") continue;
      const items = found.get(kind) ?? [];
      if (!items.some((i) => i.value === value)) items.push({ group: groupLabel(group), tag, value });
      found.set(kind, items);
    }
  }
  if (!found.has("kindGps") && positionOf(metadata) != null) found.set("kindGps", []);
  return KINDS.flatMap((kind) => {
    const items = found.get(kind);
    return items == null ? [] : [{ kind, items }];
  });
}

/**
 * The position in decimal degrees, from ExifTool's composite tags when present (they carry the
 * hemisphere), else from any group's latitude and longitude with their reference tags.
 */
export function positionOf(metadata: Groups): Position | null {
  for (const tags of Object.values(metadata)) {
    for (const name of ["GPSPosition", "GPSCoordinates"]) {
      const v = tags[name];
      if (typeof v === "string") {
        const [lat, lon] = v.split(",").map((part) => parseCoordinate(part, null));
        if (lat != null && lon != null) return checked(lat, lon);
      }
    }
  }
  for (const tags of Object.values(metadata)) {
    const lat = parseCoordinate(tags["GPSLatitude"], tags["GPSLatitudeRef"]);
    const lon = parseCoordinate(tags["GPSLongitude"], tags["GPSLongitudeRef"]);
    if (lat != null && lon != null) return checked(lat, lon);
  }
  return null;
}

function checked(lat: number, lon: number): Position | null {
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : null;
}

const DMS = /^\s*(-?[\d.]+)(?:\s*deg\s*([\d.]+)'\s*(?:([\d.]+)")?)?\s*([NSEW])?/i;

/** Reads `48 deg 51' 30.24" N`, `48.8584` or a number; a reference like "South" or "W" flips the sign. */
export function parseCoordinate(value: TagValue | undefined, ref: TagValue | undefined | null): number | undefined {
  let degrees: number;
  let hemisphere = typeof ref === "string" ? ref.trim().charAt(0).toUpperCase() : "";
  if (typeof value === "number") {
    degrees = value;
  } else if (typeof value === "string") {
    const m = DMS.exec(value);
    if (m == null) return undefined;
    degrees = Number(m[1]) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
    if (m[4] != null) hemisphere = m[4].toUpperCase();
  } else {
    return undefined;
  }
  if (!Number.isFinite(degrees)) return undefined;
  return hemisphere === "S" || hemisphere === "W" ? -Math.abs(degrees) : degrees;
}

export function mapLink(p: Position): string {
  const lat = p.lat.toFixed(6);
  const lon = p.lon.toFixed(6);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}
