import { type Finding, type TagEntry, distinctValues, fromTags, textOf } from "./types.js";

const TIME = /Date|OffsetTime|TimeZone|TimeStamp|^(Creation|Modification)Time$/;
/** Server-side dates (File), a colour profile's date and ExifTool's own composites say nothing of the author. */
const NOT_TIMES = new Set(["File", "ICC_Profile", "Composite"]);
const EMPTY_DATE = /^[0:\s-]*$/;

const SOFTWARE = new Set([
  "Software",
  "CreatorTool",
  "Producer",
  "HistorySoftwareAgent",
  "Encoder",
  "EncodedBy",
  "EncodingSettings",
  "Application",
  "AppVersion",
  "Generator",
  "ProcessingSoftware",
  "WritingApp",
  "MuxingApp",
  "OperatingSystem",
  "Platform",
  "ToolName",
  "ToolVersion",
  "CreatorApplication",
  "XMPToolkit",
]);

/** In these groups `Creator` is the program that made the document. */
const PROGRAM_CREATORS = new Set(["PDF", "PostScript"]);

/** `time`: when the file was made, edited or shot, and in which time zone. */
export function timeFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => !NOT_TIMES.has(t.group) && TIME.test(t.tag) && !EMPTY_DATE.test(textOf(t.value)));
  return fromTags("time", "low", "The file tells when it was made or edited.", matched);
}

/** `software`: the programs and systems that made or edited the file, with their versions. */
export function softwareFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => (SOFTWARE.has(t.tag) || (PROGRAM_CREATORS.has(t.group) && t.tag === "Creator")) && textOf(t.value) !== "");
  return fromTags("software", "low", "The file names the software that made or edited it.", matched, distinctValues(matched));
}
