import { BadFileError } from "../errors.js";
import { NEUTRAL_AUTHOR } from "./ooxml-rules.js";
import type { ReviewCounts, ReviewPolicy } from "./review.js";
import type { Verdict, XmlElement, XmlRules } from "./xml-stream.js";

const DC = "http://purl.org/dc/elements/1.1/";
const META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0";
const OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0";
const TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const LOEXT = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0";
/**
 * LibreOffice's `officeooo:rsid` / `officeooo:paragraph-rsid` (edit-session ids on styles), and
 * Impress's slide comments, written as `officeooo:annotation`.
 */
const OOO = "http://openoffice.org/2009/office";
const NEUTRAL_DATE = "1980-01-01T00:00:00";

/**
 * `settings.xml` items that name a machine, a person or a session: the printer (PrinterSetup is
 * the driver's own blob, with the printer and often the user name), revision-session ids, and
 * the mail-merge database last used.
 */
const DROPPED_SETTINGS: ReadonlySet<string> = new Set([
  "PrinterName",
  "PrinterSetup",
  "Rsid",
  "RsidRoot",
  "CurrentDatabaseDataSource",
  "CurrentDatabaseCommand",
  "CurrentDatabaseCommandType",
]);

/**
 * The prefixes every OpenDocument writer gives the namespaces these rules go by. An element of one
 * of them in another namespace means damaged declarations (a flipped bit in `xmlns:meta`), which
 * would hide an annotation's author or a tracked change from the rules: the file is refused.
 */
const STANDARD_PREFIXES: Readonly<Record<string, string>> = { dc: DC, meta: META, office: OFFICE, config: CONFIG, text: TEXT, table: TABLE, loext: LOEXT, officeooo: OOO };

/** Where a change is anchored in the text (the change itself is in `text:tracked-changes`). */
const CHANGE_MARKS: ReadonlySet<string> = new Set(["change", "change-start", "change-end"]);

/**
 * The rules that clean one OpenDocument part as it streams: who and when of annotations
 * (optional there, so removed) and of tracked changes (required in `office:change-info`, so made
 * neutral), revision-session ids, the printer and session items of the settings; and, as the
 * policy says, annotations with their range ends, and tracked changes. The body of an OpenDocument
 * file already shows the final text (ODF 1.3 Part 3, 5.5): inserted text is in place between its
 * marks, and deleted text lives only in the change regions, so dropping the regions and the marks
 * accepts every change. The `tracked-changes` container stays, empty, with its "record changes"
 * flag. A metadata part (`office:document-meta`, whatever its name) is dropped whole.
 */
export function odfRules(policy: ReviewPolicy, counts: ReviewCounts): XmlRules {
  const open = (el: XmlElement, parents: readonly XmlElement[]): Verdict => {
    const colon = el.name.indexOf(":");
    const standard = colon < 0 ? undefined : STANDARD_PREFIXES[el.name.slice(0, colon)];
    if (standard != null && el.uri !== standard) {
      throw new BadFileError("The OpenDocument file is damaged: its XML namespaces are not OpenDocument's.", new Error(`${el.name} in ${el.uri}`));
    }
    const parent = parents[parents.length - 1];
    if (parent == null && el.uri === OFFICE && el.local === "document-meta") return "drop";
    if (isPersonOrDate(el)) {
      if (parent?.uri !== OFFICE || parent.local !== "change-info") return "drop";
      el.note = el.local === "date" ? NEUTRAL_DATE : NEUTRAL_AUTHOR;
    }
    if (el.uri === CONFIG && el.local === "config-item" && DROPPED_SETTINGS.has(el.attrs.find((a) => a.uri === CONFIG && a.local === "name")?.value ?? "")) return "drop";
    if (policy.dropComments && (el.uri === OFFICE || el.uri === OOO) && (el.local === "annotation" || el.local === "annotation-end")) {
      if (el.local === "annotation") counts.comments++;
      return "drop";
    }
    if (policy.dropChanges && (parent?.uri === TEXT || parent?.uri === TABLE) && parent.local === "tracked-changes") {
      counts.trackedChanges++;
      return "drop";
    }
    if (policy.dropChanges && el.uri === TEXT && CHANGE_MARKS.has(el.local)) return "drop";
    el.attrs = el.attrs.filter((a) => a.uri !== OOO || (a.local !== "rsid" && a.local !== "paragraph-rsid"));
    return "keep";
  };
  const text = (t: string, parents: readonly XmlElement[]): string => parents[parents.length - 1]?.note ?? t;
  return { open, text };
}

function isPersonOrDate(el: XmlElement): boolean {
  const n = el.local;
  if (el.uri === DC) return n === "creator" || n === "date";
  if (el.uri === META) return n === "creator-initials";
  return el.uri === LOEXT && n === "sender-initials";
}
