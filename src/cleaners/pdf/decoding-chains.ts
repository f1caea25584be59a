/** The filters ExifTool undoes that change a stream's bytes (PDF.pm's DecodeStream takes full names only). */
const DECODING: ReadonlySet<string> = new Set(["FlateDecode", "LZWDecode", "ASCII85Decode", "ASCIIHexDecode"]);
/**
 * Filters it takes in a list that leave the bytes as it reads them: a stream is decrypted before
 * (`Crypt`), a picture's own filter is not undone. Any other name makes it undo nothing.
 */
const PASSING: ReadonlySet<string> = new Set(["Crypt", "Identity", "DCTDecode", "JPXDecode"]);
/** What stands between two names of one filter list: white space and comments. */
const BETWEEN = /^(?:[\0\t\n\f\r ]|%[^\r\n]*[\r\n])*$/;

/**
 * The longest list of decoding filters a PDF's dictionaries name (`[/ASCIIHexDecode /FlateDecode]`
 * is two), as the screen's name tokens come, in the file's order: the names of one list stand
 * next to each other, with only white space and comments between. ExifTool reads a stream's list
 * where its dictionary spells it, never through a reference (it then undoes nothing), so every
 * list it undoes is in the file's own bytes. Where the text no longer holds what stood between
 * two names (more than the screen carries from one window to the next), they count as one list:
 * a count can only err long.
 */
export class DecodingChains {
  /** The decoding filters of the list being read. */
  private run = 0;
  /** Where its last name ended, in the file. */
  private end = -1;
  /** The longest list seen. */
  longest = 0;

  /**
   * A name token (`names`: the key, and the name after it) from `start` to `end` of `text`, which
   * starts at the file's byte `base`; `valued`: a number, a reference or an array followed it,
   * which no filter list holds.
   */
  see(text: string, base: number, start: number, end: number, names: readonly string[], valued: boolean): void {
    const last = this.end - base;
    if (this.run > 0 && last >= 0 && !BETWEEN.test(text.slice(last, start))) this.run = 0;
    for (const name of names) {
      if (DECODING.has(name)) this.run++;
      else if (!PASSING.has(name)) this.run = 0;
    }
    this.longest = Math.max(this.longest, this.run);
    if (valued) this.run = 0;
    this.end = base + end;
  }
}
