import { type Finding, type TagEntry, fromTags, textOf } from "./types.js";

const IDENTIFIER = /(DocumentID|InstanceID|UniqueID|UUID|GUID|^RevisionNumber$|^ImageNumber$|^ShutterCount$)/i;
/** A colour profile's ID is a checksum of the profile; JUMBF type ids name a box kind. */
const NOT_IDENTIFIERS = new Set(["ICC_Profile", "File", "Composite", "JUMBF"]);

/** `identifiers`: ids that link copies and versions of a file to each other and to their source. */
export function identifierFindings(entries: readonly TagEntry[]): Finding[] {
  const matched = entries.filter((t) => !NOT_IDENTIFIERS.has(t.group) && IDENTIFIER.test(t.tag) && textOf(t.value) !== "");
  return fromTags("identifiers", "medium", "The file carries identifiers that link its copies and versions.", matched);
}
