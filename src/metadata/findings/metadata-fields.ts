import { type MetadataField, MetadataFieldReader } from "../../cleaners/legacy-office/word-fields.js";
import { type Finding, shortValue } from "./types.js";

/** A finding for the fields of a Word document's text that show its metadata, or none. */
export function metadataFieldsFinding(fields: readonly MetadataField[]): Finding[] {
  if (fields.length === 0) return [];
  const names = [...new Set(fields.map((f) => f.field))].join(", ");
  const shown = [...new Set(fields.map((f) => `${f.field}: ${f.shown}`))].join("; ");
  return [{ kind: "people", severity: "medium", title: `The document's text shows its metadata through fields (${names}); a clean copy keeps that text.`, tags: [], value: shortValue(shown) }];
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
/** XML's entities and character references; one naming no character stays as written. */
function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|\w+);/gi, (whole, e: string) => {
    if (e[0] !== "#") return ENTITIES[e] ?? whole;
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * The fields of a WordprocessingML part (a DOCX's document, headers, footers) that show the
 * document's metadata (METADATA_FIELDS), with what each shows: simple fields (`w:fldSimple`,
 * the instruction an attribute, the result its runs' text) and complex ones (`w:fldChar` begin,
 * `w:instrText`, separate, the result's `w:t`, end), nested ones each on its own.
 */
export function ooxmlMetadataFields(xml: string): MetadataField[] {
  const fields = new MetadataFieldReader();
  const token = /<w:fldSimple\b[^>]*?\bw:instr="([^"]*)"[^>]*?(\/?)>|<\/w:fldSimple>|<w:fldChar\b[^>]*?\bw:fldCharType="(begin|separate|end)"|<w:instrText\b[^>]*>([^<]*)<\/w:instrText>|<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g;
  for (const m of xml.matchAll(token)) {
    if (m[1] != null) {
      fields.begin(decode(m[1]));
      if (m[2] === "/") fields.end();
    } else if (m[0] === "</w:fldSimple>" || m[3] === "end") fields.end();
    else if (m[3] === "begin") fields.begin();
    else if (m[3] === "separate") fields.separate();
    else if (m[4] != null) fields.add(decode(m[4]), "instruction");
    else if (m[5] != null) fields.add(decode(m[5]), "result");
  }
  return fields.found;
}
