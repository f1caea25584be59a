import { type Finding, type TagEntry, distinctValues, fromTags } from "./types.js";

const GPS_TAG = /^GPS(Latitude|Longitude|Position|Coordinates|Altitude)(Ref)?$/;
const PLACE_TAG = new Set([
  "City",
  "Country",
  "CountryCode",
  "Country-PrimaryLocationName",
  "Country-PrimaryLocationCode",
  "Province-State",
  "State",
  "Sub-location",
  "Location",
  "LocationName",
  "LocationCreatedCity",
  "LocationCreatedCountryName",
  "LocationCreatedSublocation",
  "LocationShownCity",
  "LocationShownCountryName",
  "LocationShownSublocation",
  "GPSAreaInformation",
  "GPSDestLatitude",
  "GPSDestLongitude",
]);
/** Groups whose tags of those names describe something else (a colour profile's "Location"...). */
const NOT_PLACES = new Set(["File", "ICC_Profile", "Composite"]);

/** The GPS position in decimal degrees, then the place names, as the contract's `location`. */
export function locationFindings(entries: readonly TagEntry[]): Finding[] {
  const gps = entries.filter((t) => t.group !== "File" && GPS_TAG.test(t.tag));
  const position = positionOf(entries);
  const places = entries.filter((t) => !NOT_PLACES.has(t.group) && PLACE_TAG.has(t.tag));
  return [
    ...(position != null
      ? fromTags("location", "high", "The file gives the GPS position where it was made.", gps, `${position.lat.toFixed(6)}, ${position.lon.toFixed(6)}`)
      : []),
    ...fromTags("location", position != null ? "high" : "medium", "The file names places.", places, distinctValues(places)),
  ];
}

interface Position {
  lat: number;
  lon: number;
}

/**
 * The position in decimal degrees: from a tag pair of one group with their references (ExifTool's
 * composite tags carry the sign), or from a "lat, lon" position tag.
 */
export function positionOf(entries: readonly TagEntry[]): Position | null {
  const byGroup = new Map<string, Map<string, unknown>>();
  for (const t of entries) {
    let g = byGroup.get(t.group);
    if (g == null) byGroup.set(t.group, (g = new Map()));
    g.set(t.tag, t.value);
  }
  // Composite first: ExifTool has already applied the hemisphere there.
  const groups = [...byGroup.entries()].sort(([a], [b]) => Number(b === "Composite") - Number(a === "Composite"));
  for (const [, tags] of groups) {
    const lat = coordinate(tags.get("GPSLatitude"), tags.get("GPSLatitudeRef"));
    const lon = coordinate(tags.get("GPSLongitude"), tags.get("GPSLongitudeRef"));
    if (lat != null && lon != null) return checked(lat, lon);
  }
  for (const [, tags] of groups) {
    for (const name of ["GPSPosition", "GPSCoordinates"]) {
      const v = tags.get(name);
      if (typeof v !== "string") continue;
      const parts = v.includes(",") ? v.split(",") : v.trim().split(/\s+/);
      const lat = coordinate(parts[0], null);
      const lon = coordinate(parts[1], null);
      if (lat != null && lon != null) return checked(lat, lon);
    }
  }
  return null;
}

function checked(lat: number, lon: number): Position | null {
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && !(lat === 0 && lon === 0) ? { lat, lon } : null;
}

const DMS = /^\s*([-+]?[\d.]+)(?:\s*deg\s*([\d.]+)'\s*(?:([\d.]+)")?)?\s*([NSEW])?/i;

/** Reads `48 deg 51' 30.24" N`, `48.8584` or a number; a reference such as "South" or "W" makes it negative. */
function coordinate(value: unknown, ref: unknown): number | null {
  let hemisphere = typeof ref === "string" ? ref.trim().charAt(0).toUpperCase() : "";
  let signed: number;
  let degrees: number;
  if (typeof value === "number") {
    signed = value;
    degrees = Math.abs(value);
  } else if (typeof value === "string") {
    const m = DMS.exec(value);
    if (m == null) return null;
    signed = Number(m[1]);
    degrees = Math.abs(signed) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600;
    if (m[4] != null) hemisphere = m[4].toUpperCase();
  } else {
    return null;
  }
  if (!Number.isFinite(degrees)) return null;
  return signed < 0 || hemisphere === "S" || hemisphere === "W" ? -degrees : degrees;
}
