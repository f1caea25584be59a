import { type Finding, type TagEntry, distinctValues, fromTags, textOf } from "./types.js";

const PEOPLE = new Set([
  "Artist",
  "Author",
  "Authors",
  "By-line",
  "Creator",
  "Contributor",
  "LastModifiedBy",
  "Initial-creator",
  "Writer-Editor",
  "Manager",
  "Company",
  "Publisher",
  "Copyright",
  "CopyrightNotice",
  "Rights",
  "Credit",
  "PersonInImage",
  "Composer",
  "Band",
  "AlbumArtist",
  "Conductor",
  "Lyricist",
  "OriginalArtist",
  "Performer",
  "Director",
  "Producer",
  "Owner",
  "XPAuthor",
  "CaptionWriter",
  "Editor",
  "Contact",
  "CreatorContactInfo",
]);
/** In these groups `Creator` and `Producer` are programs, not people. */
const PROGRAM_GROUPS = new Set(["PDF", "PostScript", "QuickTime", "Matroska"]);
/** PostScript's `%%For` names the person the document was made for. */
const PEOPLE_IN_GROUP = new Set(["PostScript:For"]);
/** A colour profile's copyright is its maker's; File and Composite only repeat or describe. */
const NOT_PEOPLE = new Set(["File", "ICC_Profile", "Composite"]);

function isPerson(t: TagEntry): boolean {
  if (PEOPLE_IN_GROUP.has(`${t.group}:${t.tag}`)) return true;
  if (!PEOPLE.has(t.tag) || NOT_PEOPLE.has(t.group)) return false;
  return !(PROGRAM_GROUPS.has(t.group) && (t.tag === "Creator" || t.tag === "Producer"));
}

const SERIAL = /Serial(Number)?$/i;
const OWNER = /^(Camera)?OwnerName$/;
const DEVICE = new Set(["Make", "Model", "LensMake", "LensModel", "Lens", "LensID", "UniqueCameraModel", "AndroidMake", "AndroidModel", "HostComputer", "DeviceModelName"]);
/** A colour profile's device fields name the screen it was made for, not the camera. */
const NOT_DEVICES = new Set(["ICC_Profile", "File", "Composite"]);

/** `people`: the names of those who made, owned, edited or appear in the file. */
export function peopleFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => isPerson(t) && textOf(t.value) !== "");
  return fromTags("people", "medium", "The file names people who made, edited or appear in it.", matched, distinctValues(matched));
}

/** `device`: make and model (low), serial numbers and the owner's name (medium: they identify one device). */
export function deviceFindings(entries: readonly TagEntry[]): Finding[] {
  const usable = entries.filter((t) => !NOT_DEVICES.has(t.group) && textOf(t.value) !== "");
  const identifying = usable.filter((t) => SERIAL.test(t.tag) || OWNER.test(t.tag));
  const described = usable.filter((t) => DEVICE.has(t.tag) && !/^(workflow|prompt):/.test(textOf(t.value)));
  return [
    ...fromTags("device", "medium", "The file gives serial numbers or the owner of the device that made it.", identifying, distinctValues(identifying)),
    ...fromTags("device", "low", "The file names the device that made it.", described, distinctValues(described)),
  ];
}
