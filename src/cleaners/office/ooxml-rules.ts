import { bareName, barePaths, scrubConnectionString } from "../connection-strings.js";
import { MODERN_COMMENTS, P, R, S, THREADED, W } from "./ooxml-ns.js";
import { MarkupCompatibility } from "./markup-compatibility.js";
import { isMetadataRoot } from "./ooxml-package.js";
import { FieldInstructions, PersonalViews, scrubPathAttributes } from "./ooxml-paths.js";
import { acceptsRevision, joinParagraphs, type Held } from "./ooxml-revisions.js";
import type { ReviewCounts, ReviewPolicy } from "./review.js";
import type { Captured, Piece, Verdict, XmlAttr, XmlElement, XmlRules } from "./xml-stream.js";

/**
 * The name left where the format requires an author (comments, tracked changes). It is the one
 * Word's own "Remove personal information" writes, so every reader accepts it.
 */
export const NEUTRAL_AUTHOR = "Author";
const NEUTRAL_INITIALS = "A";
const NEUTRAL_DATE = "1980-01-01T00:00:00.000";

const ABS_PATH = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac";
/** x15: Excel 2013's data model connections (`x15:oledbPr`...). */
const X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main";
const MC = "http://schemas.openxmlformats.org/markup-compatibility/2006";
/** xr, xr2, xr3...: Excel's revision ids (`xr:uid`, `xr:revisionPtr`). */
const EXCEL_REVISION = /^http:\/\/schemas\.microsoft\.com\/office\/spreadsheetml\/\d{4}\/revision\d*$/;

/** Word's marks of where a comment is anchored in the text (the comments are parts of their own). */
const COMMENT_MARKS: ReadonlySet<string> = new Set(["commentRangeStart", "commentRangeEnd", "commentReference"]);

export interface OoxmlPartPlan {
  policy: ReviewPolicy;
  counts: ReviewCounts;
  /** Ids of this part's relationships that were removed: references to them go. */
  removedIds: ReadonlySet<string>;
}

/** Notes the rules leave on open elements (see `acceptsRevision`). */
const DROP = "drop";
const JOIN = "join";

/**
 * The rules that clean one OOXML part as it streams (see xml-stream.ts): revision-session ids
 * (`w:rsid*`), who and when of comments and tracked changes, the template path and document
 * variables of Word's settings, Excel's saved path and revision ids, the markup of ignorable
 * namespaces no Office version knows (markup-compatibility.ts), the local paths of fields,
 * linked pictures and drawings and the names of personal views (ooxml-paths.ts); the references
 * to removed relationships; and, as the plan says, comment anchors and tracked changes (accepted,
 * with Word's Track Changes setting turned off). A part whose root is a metadata root is dropped
 * whole.
 */
export function ooxmlRules(plan: OoxmlPartPlan): XmlRules {
  const noteAuthors: string[] = [];
  const fields = new FieldInstructions();
  const views = new PersonalViews();
  let held: Held | null = null;
  const joins = new Map<XmlElement, Held>();
  const compatibility = new MarkupCompatibility();

  const open = (el: XmlElement, parents: readonly XmlElement[]): Verdict => {
    if (parents.length === 0 && isMetadataRoot(el.uri, el.local)) return "drop";
    const skipped = compatibility.open(el, parents);
    if (skipped != null) return skipped;
    if (isDropped(el)) return "drop";
    // Word's "Track Changes" setting: with the changes accepted, the document is no longer under review.
    if (plan.policy.dropChanges && W.has(el.uri) && el.local === "trackRevisions") return "drop";
    if (plan.policy.dropComments && W.has(el.uri) && COMMENT_MARKS.has(el.local)) return "drop";
    const ref = removedReference(el, plan.removedIds);
    if (ref != null) {
      if (el.local === "legacyDrawing" || el.local === "legacyDrawingHF") return "drop";
      if (el.local === "commentRel") {
        const ext = parents[parents.length - 1];
        if (ext != null) ext.note = DROP;
        return "drop";
      }
      el.attrs = el.attrs.filter((a) => a !== ref);
    }
    let verdict: Verdict = "keep";
    if (plan.policy.dropChanges && W.has(el.uri)) {
      const resolved = acceptsRevision(el, parents);
      if (resolved != null) {
        if (resolved.counted) plan.counts.trackedChanges++;
        if (resolved.mark != null) resolved.mark.target.note = resolved.mark.note;
        if (resolved.verdict !== "keep") return resolved.verdict;
      }
      // Captured so that a deleted row, cell or paragraph mark found inside can still take effect.
      if (el.local === "p" || el.local === "tr" || el.local === "tc") verdict = "capture";
      if (el.local === "p" && held != null) {
        joins.set(el, held);
        held = null;
      }
    }
    if (el.uri === MC && el.local === "AlternateContent") verdict = "capture";
    if (plan.removedIds.size > 0 && el.local === "ext") verdict = "capture";
    scrubAttributes(el);
    scrubPathAttributes(el);
    fields.mark(el);
    views.rename(el);
    return verdict;
  };

  const text = (t: string, parents: readonly XmlElement[]): string => {
    const el = parents[parents.length - 1];
    if (el == null) return t;
    if (W.has(el.uri)) return fields.text(el, t);
    if (!S.has(el.uri)) return t;
    // Legacy Excel comments list their authors as text, and Excel starts each note with its
    // author's name ("Jane Doe:").
    if (el.local === "author" && parents[parents.length - 2]?.local === "authors") {
      noteAuthors.push(t);
      return NEUTRAL_AUTHOR;
    }
    const comment = parents.find((p) => S.has(p.uri) && p.local === "comment");
    if (el.local !== "t" || comment == null || comment.note === "signed") return t;
    comment.note = "signed";
    const id = comment.attrs.find((a) => a.name === "authorId")?.value;
    const name = id == null ? undefined : noteAuthors[Number(id)];
    return name != null && name !== "" && t.startsWith(name) ? NEUTRAL_AUTHOR + t.slice(name.length) : t;
  };

  const close = (el: XmlElement, _parents: readonly XmlElement[], c: Captured): string | undefined => {
    if (el.note === DROP) return "";
    if (el.uri === MC && el.local === "AlternateContent") return isEmptyAlternative(c.pieces) ? "" : undefined;
    const before = joins.get(el);
    joins.delete(el);
    const own = before == null ? c : joinParagraphs(before, c);
    if (el.note === JOIN) {
      held = own;
      return "";
    }
    return own === c ? undefined : own.start + own.pieces.map((p) => p.out).join("") + own.end;
  };

  const takePending = (): string => {
    if (held == null) return "";
    // A paragraph whose deleted mark has no paragraph after it to join stays as it is.
    const out = held.start + held.pieces.map((p) => p.out).join("") + held.end;
    held = null;
    return out;
  };

  return { open, text, close, takePending };
}

function isDropped(el: XmlElement): boolean {
  const n = el.local;
  if (W.has(el.uri)) return n === "rsids" || n === "attachedTemplate" || n === "docVars";
  // A sheet's custom properties: names an add-in or a macro gave, each pointing at a part of
  // its own (customProperty) whose value the package's relationships leave out with it.
  if (S.has(el.uri)) return n === "fileVersion" || n === "customProperties";
  if (el.uri === ABS_PATH) return n === "absPath";
  return EXCEL_REVISION.test(el.uri) && n === "revisionPtr";
}

function removedReference(el: XmlElement, ids: ReadonlySet<string>): XmlAttr | undefined {
  if (ids.size === 0) return undefined;
  return el.attrs.find((a) => R.has(a.uri) && ids.has(a.value));
}

/**
 * An `mc:AlternateContent` whose choices all lost their content (Excel's absPath), or that has no
 * choice left (each required a namespace no Office version knows, markup-compatibility.ts), goes
 * too: the format wants at least one.
 */
function isEmptyAlternative(pieces: readonly Piece[]): boolean {
  const choices = pieces.filter((p) => p.el?.uri === MC && p.el.local === "Choice");
  const fallback = pieces.some((p) => p.el?.uri === MC && p.el.local === "Fallback");
  return !fallback && choices.every((p) => !hasElementContent(p.out));
}

/** True for a captured element's output with an element inside (text is escaped, so `<` is markup). */
function hasElementContent(out: string): boolean {
  const startEnd = out.indexOf(">");
  if (startEnd === out.length - 1) return false;
  return out.slice(startEnd + 1, out.lastIndexOf("</")).includes("<");
}

function scrubAttributes(el: XmlElement): void {
  el.attrs = el.attrs.filter((a) => {
    if (W.has(a.uri)) {
      if (a.local.startsWith("rsid") || a.local === "date" || a.local === "initials") return false;
      if (a.local === "author") a.value = NEUTRAL_AUTHOR;
      // A mail merge's data source: its connection string, and Office's data link (ODSO) to it.
      if (a.local === "val" && W.has(el.uri) && (el.local === "connectString" || el.local === "udl")) a.value = scrubConnectionString(a.value);
      if (a.local === "val" && W.has(el.uri) && el.local === "query") a.value = barePaths(a.value);
      return true;
    }
    // w16cex (comment dates) and w16du (tracked-change dates).
    if (a.local === "dateUtc") return false;
    return !(EXCEL_REVISION.test(a.uri) && a.local === "uid");
  });
  scrubCommentPeople(el);
  scrubWorkbookPeople(el);
}

/** Attributes of Excel's data connections, links and web publishing whose value is a file's path. */
const PATH_ATTRIBUTES: ReadonlySet<string> = new Set(["odcFile", "sourceFile", "ddeTopic", "destinationFile"]);

/**
 * Excel's who and when of a pivot cache's last refresh and of a workbook's reservation, and the
 * accounts and folders of its data connections (connection-strings.ts): `xl/connections.xml`'s
 * connection strings (an OLAP connection's offline cube's too, `localConnection`), connection files, text files and web queries' local files, and the file a
 * DDE link asks its program for (`ddeTopic`, `C:\Users\jane\[Book1.xlsx]Sheet1`), the page a
 * sheet was published to as a web page (`destinationFile`).
 */
function scrubWorkbookPeople(el: XmlElement): void {
  if (!S.has(el.uri) && el.uri !== X15) return;
  if (el.local === "pivotCacheDefinition") {
    removeAttr(el, "refreshedBy");
    removeAttr(el, "refreshedDate");
    removeAttr(el, "refreshedDateIso");
  } else if (el.local === "fileSharing") {
    removeAttr(el, "userName");
  }
  for (const a of el.attrs) {
    if (a.uri !== "") continue;
    if (a.local === "connection" || a.local === "localConnection") a.value = scrubConnectionString(a.value);
    else if (PATH_ATTRIBUTES.has(a.local) || (a.local === "url" && el.local === "webPr")) a.value = bareName(a.value);
  }
}

/** Comment authors of Excel's threaded comments and of PowerPoint's two comment formats. */
function scrubCommentPeople(el: XmlElement): void {
  const n = el.local;
  if (el.uri === THREADED) {
    if (n === "person") {
      setAttr(el, "displayName", NEUTRAL_AUTHOR);
      removeAttr(el, "userId");
      removeAttr(el, "providerId");
    } else if (n === "threadedComment") {
      removeAttr(el, "dT");
    }
  } else if (P.has(el.uri)) {
    if (n === "cmAuthor") {
      setAttr(el, "name", NEUTRAL_AUTHOR);
      setAttr(el, "initials", NEUTRAL_INITIALS);
    } else if (n === "cm") {
      removeAttr(el, "dt");
    }
  } else if (el.uri === MODERN_COMMENTS) {
    if (n === "author") {
      setAttr(el, "name", NEUTRAL_AUTHOR);
      setAttr(el, "initials", NEUTRAL_INITIALS);
      // Required by the schema, so emptied rather than removed.
      if (hasAttr(el, "userId")) setAttr(el, "userId", "");
      if (hasAttr(el, "providerId")) setAttr(el, "providerId", "None");
    }
    if (hasAttr(el, "created")) setAttr(el, "created", NEUTRAL_DATE);
  }
}

/** Attributes without a prefix, as these vocabularies write them. */
function hasAttr(el: XmlElement, name: string): boolean {
  return el.attrs.some((a) => a.name === name);
}

function setAttr(el: XmlElement, name: string, value: string): void {
  const a = el.attrs.find((x) => x.name === name);
  if (a != null) a.value = value;
  else el.attrs.push({ name, uri: "", local: name, value });
}

function removeAttr(el: XmlElement, name: string): void {
  el.attrs = el.attrs.filter((a) => a.name !== name);
}
