import { boundMetadata } from "./bound-result.js";
import type { RawTags } from "./read-task.js";

export type TagValue = string | number | boolean | null | TagValue[] | { [k: string]: TagValue };
export type MetadataGroups = Record<string, Record<string, TagValue>>;

export interface ShapedMetadata {
  /** The name shown to the client. */
  fileName: string;
  metadata: MetadataGroups;
  warnings: string[];
  /** ExifTool's FileType (e.g. "JPEG"), when it recognised the file. */
  fileType: string | null;
  mimeType: string;
}

export interface ShapeInput {
  raw: RawTags;
  messages: string[];
  clientName: string;
  size: number;
  numeric: boolean;
  /** Server paths that must never appear in the output, each with what stands in its place. */
  replacements: Array<[from: string, to: string]>;
}

/** File-group tags that describe our server (its directory, permissions and clock), not the client's file. */
const HIDDEN_FILE_TAGS = new Set([
  "Directory",
  "FilePermissions",
  "FileModifyDate",
  "FileAccessDate",
  "FileInodeChangeDate",
  "FileCreateDate",
  "FileAttributes",
  "FileDeviceNumber",
  "FileInodeNumber",
  "FileHardLinks",
  "FileUserID",
  "FileGroupID",
  "FileDeviceID",
  "FileBlockSize",
  "FileBlockCount",
]);

const BINARY = /^\(Binary data (\d+) bytes(?:, use -b option to extract)?\)$/;

/**
 * Turns ExifTool's `-G0` JSON into the contract's `metadata` object: `File` first with the
 * client's name, size and MIME type, then one lower-case key per family-0 group.
 */
export function shapeMetadata(input: ShapeInput): ShapedMetadata {
  const { raw, numeric } = input;
  const scrub = makeScrubber(input.replacements);
  const groups: MetadataGroups = {};
  const warnings: string[] = input.messages.map((m) => scrub(m.replace(/^(warning|error):\s*/i, "")));

  for (const [key, value] of Object.entries(raw)) {
    const colon = key.indexOf(":");
    if (colon < 0) continue; // SourceFile and other ungrouped keys
    const group = key.slice(0, colon);
    const tag = key.slice(colon + 1);
    if (group === "System") continue;
    if (group === "ExifTool") {
      if ((tag === "Warning" || tag === "Error") && value != null) warnings.push(scrub(String(value)));
      continue;
    }
    if (group === "File" && (HIDDEN_FILE_TAGS.has(tag) || tag === "FileName")) continue;
    const name = group === "File" ? "File" : group.toLowerCase();
    (groups[name] ??= {})[tag] = convert(value, numeric, scrub);
  }

  const mime = typeof raw["File:MIMEType"] === "string" ? raw["File:MIMEType"] : "application/octet-stream";
  const fileType = typeof raw["File:FileType"] === "string" ? raw["File:FileType"] : null;
  const file: Record<string, TagValue> = {
    Name: input.clientName,
    Size: input.size,
    Type: mime,
    FileName: input.clientName,
    ...groups["File"],
  };
  delete groups["File"];
  const metadata = { File: file, ...groups };
  boundMetadata(metadata, warnings);
  return { fileName: input.clientName, metadata, warnings: [...new Set(warnings)], fileType, mimeType: mime };
}

function convert(value: unknown, numeric: boolean, scrub: (s: string) => string): TagValue {
  if (value == null) return null;
  if (Array.isArray(value)) return value.map((v) => convert(v, numeric, scrub));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, numeric, scrub)]));
  }
  if (typeof value === "string") {
    const m = BINARY.exec(value);
    return m != null ? `[binary data: ${m[1]} bytes]` : scrub(value);
  }
  if (typeof value === "number" || typeof value === "boolean") return numeric ? value : String(value);
  return scrub(String(value));
}

function makeScrubber(replacements: Array<[string, string]>): (s: string) => string {
  // Longest first, so a file's path is replaced before the folder that contains it.
  const ordered = replacements.filter(([from]) => from.length > 0).sort((a, b) => b[0].length - a[0].length);
  return (s) => ordered.reduce((out, [from, to]) => out.split(from).join(to), s);
}
