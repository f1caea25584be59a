import { bareName, barePaths, barePathsInPiece } from "../connection-strings.js";
import { S, W } from "./ooxml-ns.js";
import type { XmlElement } from "./xml-stream.js";

/** VML's Office namespace: `o:href`, where a linked picture was read from. */
const VML_OFFICE = "urn:schemas-microsoft-com:office:office";
/** DrawingML's and Word's names of a drawing's properties, whose description Word filled with a picture's path. */
const DRAWING_PROPERTIES: ReadonlySet<string> = new Set(["cNvPr", "docPr"]);
/** A field instruction's text kept to look back into, past any path's length (MAX_PATH, its backslashes doubled). */
const LOOK_BACK = 1024;

/**
 * The local paths an OOXML part names outside its relationships (ooxml-package.ts has those), as
 * bare names: a simple field's instruction (`INCLUDEPICTURE "C:\\Users\\jane\\photo.jpg"`, LINK,
 * HYPERLINK), where a VML picture was linked from (`o:href`, `src`), a drawing's description that
 * is its picture's path. A web address stays.
 */
export function scrubPathAttributes(el: XmlElement): void {
  for (const a of el.attrs) {
    if (W.has(a.uri) && a.local === "instr" && el.local === "fldSimple") a.value = barePaths(a.value);
    else if ((a.uri === VML_OFFICE && a.local === "href") || (a.uri === "" && a.local === "src" && el.local === "imagedata")) a.value = bareName(a.value);
    else if (a.uri === "" && a.local === "descr" && DRAWING_PROPERTIES.has(el.local)) a.value = bareName(a.value);
  }
}

/**
 * Word's complex fields: the instruction between a field's begin and separate marks is text split
 * across runs (`w:instrText`), often in the middle of a path, so each piece loses the folders of
 * the paths in the instruction read so far (connection-strings.ts, barePathsInPiece).
 */
export class FieldInstructions {
  private prior = "";

  /** Called at each field mark (`w:fldChar`): an instruction ends or begins. */
  mark(el: XmlElement): void {
    if (W.has(el.uri) && el.local === "fldChar") this.prior = "";
  }

  /** The text of `el`'s text node, as written. */
  text(el: XmlElement, t: string): string {
    if (!W.has(el.uri) || (el.local !== "instrText" && el.local !== "delInstrText")) return t;
    const out = barePathsInPiece(this.prior, t);
    this.prior = (this.prior + t).slice(-LOOK_BACK);
    return out;
  }
}

/**
 * Excel names a shared workbook's personal views after their users ("Jane Doe - Personal
 * View"); each becomes "Personal View", numbered from the second, as names must differ.
 */
export class PersonalViews {
  private count = 0;

  rename(el: XmlElement): void {
    if (!S.has(el.uri) || el.local !== "customWorkbookView") return;
    const personal = el.attrs.find((a) => a.uri === "" && a.local === "personalView");
    const name = el.attrs.find((a) => a.uri === "" && a.local === "name");
    if (name == null || (personal?.value !== "1" && personal?.value !== "true")) return;
    this.count++;
    name.value = this.count === 1 ? "Personal View" : `Personal View ${this.count}`;
  }
}
