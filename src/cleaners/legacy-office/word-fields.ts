import { bareLinkTarget } from "../connection-strings.js";
import { readFib } from "./word-fib.js";
import { WordText } from "./word-text.js";

/** A field's begin, separator and end characters ([MS-DOC] 2.8.25 PlcFld: the instruction lies between begin and separator). */
const FIELD_BEGIN = 0x13;
const FIELD_SEPARATOR = 0x14;
const FIELD_END = 0x15;
const SPACE = 0x20;

/** The fields whose instruction names a file or a link ([MS-DOC] 2.9.90 flt; Word's field reference). */
const NAMING_FIELDS = /^\s*(HYPERLINK|INCLUDEPICTURE|INCLUDETEXT|INCLUDE|LINK|DDE|DDEAUTO|IMPORT|RD|DATABASE)(\s|$)/i;

/**
 * Fields whose shown result is the document's metadata: a person's name, or with `\p` the
 * folder the file or its template was saved in (Word's field reference).
 */
const METADATA_FIELDS = /^\s*(AUTHOR|LASTSAVEDBY|USERNAME|USERINITIALS|USERADDRESS|DOCPROPERTY|INFO|(?:FILENAME|TEMPLATE)(?=[^]*\\p))(\s|$)/i;
/** What is kept of a field's instruction and result, each. */
const MAX_KEPT = 256;
/** Characters of a field's result that are no text: field marks, pictures, objects. */
const NOT_SHOWN = new Set([0x01, 0x08, FIELD_BEGIN, FIELD_SEPARATOR, FIELD_END]);

/** An argument of a field's instruction: a quoted one, or a word (a switch such as `\d` starts with one backslash). */
const ARGUMENT = /"([^"]*)"|(?!\\[^\\])[^\s"]+/g;

interface Instruction {
  cps: number[];
  codes: number[];
  open: boolean;
}

/**
 * The local paths in the instructions of a Word 97-2003 document's fields that name files and
 * links (`INCLUDEPICTURE "C:\\Users\\jane\\Pictures\\photo.jpg" \d`, LINK, HYPERLINK...), in
 * every part of its text, become their bare names (connection-strings.ts, bareLinkTarget), in
 * place: the name takes the argument's place, closed by its quote, and spaces fill what the path
 * took, after it, so no character position moves. The field's result (the text or picture it
 * shows) stays as it is; ExifTool reads no field.
 */
export function bareFieldPaths(wordDocument: Buffer, table: Buffer): void {
  const text = new WordText(wordDocument, table, readFib(wordDocument));
  const fields: Instruction[] = [];
  text.walk(0, text.length, (cp, code) => {
    const field = fields[fields.length - 1];
    if (code === FIELD_BEGIN) fields.push({ cps: [], codes: [], open: true });
    else if (code === FIELD_SEPARATOR || code === FIELD_END) {
      if (field?.open === true) bareInstruction(text, field);
      if (field != null) field.open = false;
      if (code === FIELD_END) fields.pop();
    } else if (field?.open === true) {
      field.cps.push(cp);
      field.codes.push(code);
    }
  });
  for (const field of fields) if (field.open) bareInstruction(text, field);
}

/** The instruction with its arguments' paths cut, written back where they differ. */
function bareInstruction(text: WordText, field: Instruction): void {
  const instruction = field.codes.map((c) => String.fromCharCode(c)).join("");
  if (!NAMING_FIELDS.test(instruction)) return;
  const bared = instruction.replace(ARGUMENT, (whole, quoted: string | undefined) => {
    const bare = quoted == null ? bareLinkTarget(whole) : `"${bareLinkTarget(quoted)}"`;
    return bare.padEnd(whole.length, String.fromCharCode(SPACE));
  });
  for (let i = 0; i < bared.length; i++) if (bared.charCodeAt(i) !== field.codes[i]) text.put(field.cps[i]!, bared.charCodeAt(i));
}

/** A field showing the document's metadata: its name and what it shows. */
export interface MetadataField {
  field: string;
  shown: string;
}

/**
 * Fields as a reading meets their parts: a begin, the instruction's text, a separator, the shown
 * result's text, an end; nested fields each on its own. Those that show metadata
 * (METADATA_FIELDS) with a result go into `found`. A finding shows little of each field: a
 * hostile document's field could hold all its text, so at most MAX_KEPT characters of each part
 * are kept.
 */
export class MetadataFieldReader {
  readonly found: MetadataField[] = [];
  private readonly open: { instruction: string; shown: string; inResult: boolean }[] = [];

  /** A field opens; `instruction` given, its instruction is known already and its result comes next (a DOCX's simple field). */
  begin(instruction?: string): void {
    this.open.push({ instruction: instruction ?? "", shown: "", inResult: instruction != null });
  }

  separate(): void {
    const field = this.open[this.open.length - 1];
    if (field != null) field.inResult = true;
  }

  /** Text of the innermost open field, in the part it is at; `part` given, only if it is at that part. */
  add(text: string, part?: "instruction" | "result"): void {
    const field = this.open[this.open.length - 1];
    if (field == null || (part != null && (part === "result") !== field.inResult)) return;
    if (field.inResult) field.shown += field.shown.length < MAX_KEPT ? text : "";
    else field.instruction += field.instruction.length < MAX_KEPT ? text : "";
  }

  end(): void {
    const field = this.open.pop();
    const name = field == null ? undefined : METADATA_FIELDS.exec(field.instruction)?.[1];
    if (name != null && field!.shown.trim() !== "") this.found.push({ field: name.toUpperCase(), shown: field!.shown.trim() });
  }
}

/**
 * The fields of a Word 97-2003 document's text that show its metadata (an author's or user's
 * name, a file's folder: METADATA_FIELDS) with the result each shows, as stored: text of the
 * document, which a clean copy keeps.
 */
export function metadataFields(wordDocument: Buffer, table: Buffer): MetadataField[] {
  const text = new WordText(wordDocument, table, readFib(wordDocument));
  const fields = new MetadataFieldReader();
  text.walk(0, text.length, (_cp, code) => {
    if (code === FIELD_BEGIN) fields.begin();
    else if (code === FIELD_SEPARATOR) fields.separate();
    else if (code === FIELD_END) fields.end();
    else if (!NOT_SHOWN.has(code)) fields.add(String.fromCharCode(code));
  });
  return fields.found;
}
