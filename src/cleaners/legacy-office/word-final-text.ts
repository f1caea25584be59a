import fsp from "node:fs/promises";
import WordExtractor from "word-extractor";
import { BadFileError } from "../errors.js";
import { nameStreamsAs } from "./stream-names.js";

/** The part accessors of word-extractor's Document with the option its type declarations leave out. */
interface Parts {
  getBody(o: Options): string;
  getFootnotes(o: Options): string;
  getEndnotes(o: Options): string;
  getHeaders(o: Options & { includeFooters: boolean }): string;
  getAnnotations(o: Options): string;
  getTextboxes(o: Options & { includeHeadersAndFooters: boolean; includeBody: boolean }): string;
}
/** Curly quotes and dashes as Word stores them, not turned into ASCII: the check counts them. */
interface Options {
  filterUnicode: false;
}

/** The streams word-extractor reads, by these exact names. */
const READ_BY_NAME = ["WordDocument", "0Table", "1Table"];

/**
 * The text of a Word 97-2003 document as word-extractor (npm) reads it: through the piece table,
 * each piece as 8-bit or UTF-16 as the piece says (catdoc guesses that per 256-byte block and
 * misreads UTF-16 text without ASCII spaces or punctuation, such as Chinese or Japanese), text
 * formatted as deleted left out, field codes replaced by their results. Each part in a fixed
 * order (main text, footnotes, endnotes, headers and footers, comments, text boxes), one line
 * per paragraph. A reader apart from the cleaner's own piece-table code (word-text.ts). The file
 * is read whole first: from a path, word-extractor reads each sector with a call of its own
 * (three to four times slower on a 3 MB document). Its streams are named as word-extractor
 * looks them up first, whatever their case (stream-names.ts).
 */
export async function wordFinalText(file: string): Promise<string> {
  const bytes = await fsp.readFile(file);
  nameStreamsAs(bytes, READ_BY_NAME);
  let doc: Parts;
  try {
    doc = (await new WordExtractor().extract(bytes)) as unknown as Parts;
  } catch (err) {
    throw new BadFileError("The document's text could not be read.", err);
  }
  const o: Options = { filterUnicode: false };
  return [
    doc.getBody(o),
    doc.getFootnotes(o),
    doc.getEndnotes(o),
    doc.getHeaders({ ...o, includeFooters: true }),
    doc.getAnnotations(o),
    doc.getTextboxes({ ...o, includeHeadersAndFooters: true, includeBody: true }),
  ].join("\n");
}
