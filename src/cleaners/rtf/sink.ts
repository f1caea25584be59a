/**
 * Where the cleaned RTF is written, as a list of pieces (most of them views of the input, not
 * copies). A piece that follows the last one in memory (the next kept token of the input) widens
 * it instead of being added: a view costs ~100 bytes of heap, and a 6 MB file of three million
 * empty groups made 500 MB of them, beyond a worker's heap. A control word written without its delimiting space, and then followed by text
 * because what stood between was dropped (`\b\revised text` -> `\b` + `text`), would read as
 * another word (`\btext`): such text gets a space first, which RTF takes as the word's delimiter.
 */
export class Sink {
  readonly pieces: Buffer[] = [];
  private bareWord = false;
  /** Pieces from this index on may be widened (a placeholder's slot is filled later: never). */
  private widenFrom = 0;

  /** A control word's bytes, as in the file. */
  word(bytes: Buffer): void {
    this.push(bytes);
    this.bareWord = bytes[bytes.length - 1] !== 0x20;
  }

  /** Plain text: a space first after a bare control word when it starts like a word's tail. */
  text(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.bareWord && CONTINUES_WORD.test(String.fromCharCode(bytes[0]!))) this.push(SPACE);
    this.push(bytes);
    this.bareWord = false;
  }

  /** Anything that cannot continue a control word: braces, control symbols. */
  other(bytes: Buffer): void {
    this.push(bytes);
    this.bareWord = false;
  }

  /**
   * A place for text known later (a picture's cleaned data), with the space a bare word before
   * it needs; `fill` puts the text there.
   */
  placeholder(): number {
    if (this.bareWord) this.push(SPACE);
    this.bareWord = false;
    this.widenFrom = this.pieces.push(EMPTY);
    return this.widenFrom - 1;
  }

  fill(slot: number, bytes: Buffer): void {
    this.pieces[slot] = bytes;
  }

  private push(bytes: Buffer): void {
    const last = this.pieces.length - 1;
    const prev = this.pieces[last];
    if (last >= this.widenFrom && prev != null && prev.buffer === bytes.buffer && prev.byteOffset + prev.length === bytes.byteOffset) {
      this.pieces[last] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + bytes.length);
    } else this.pieces.push(bytes);
  }
}

const CONTINUES_WORD = /[A-Za-z0-9 -]/;
const SPACE = Buffer.from(" ");
const EMPTY = Buffer.alloc(0);
