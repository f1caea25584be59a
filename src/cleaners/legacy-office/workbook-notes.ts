/** [MS-XLS] 2.4.179 Note: a cell comment's anchor and, in BIFF8, its author. */
const NOTE = 0x001c;
/** 2.4.181 Obj, whose first subrecord (FtCmo, 2.5.143) says what kind of object it is. */
const OBJ = 0x005d;
/** 2.4.329 TxO: the text of the object the Obj before it describes, in the Continue records after it. */
const TXO = 0x01b6;
const CONTINUE = 0x003c;
const FT_CMO = 0x0015;
const OT_COMMENT = 0x0019;
/** A BIFF8 Note's author (an XLUnicodeString) follows its row, column, flags and object id. */
const NOTE_AUTHOR = 8;
/** A BIFF5 Note: row, column, then a byte count and the comment's bytes (row 0xFFFF: more of them). */
const BIFF5_NOTE_TEXT = 6;
const TXO_CCH_TEXT = 10;

/**
 * The cell comments of an Excel 97-2003 workbook stream, fed its records in order: each BIFF8
 * comment's author (its Note record) becomes spaces, and unless `text` is false (`keep=comments`)
 * so does its text (the Continue records after the TxO of an Obj of kind comment; a BIFF5 Note's
 * own bytes). ExifTool reads none of these. Everything keeps its length and each character its
 * width, so no record moves; a comment then shows empty, as a blanked PowerPoint comment does.
 */
export class NoteScrubber {
  /** Comments whose text was blanked (held more than spaces). */
  blanked = 0;
  /** The names of the comments' authors, each once, as they were. */
  readonly authors = new Set<string>();
  private commentObject = false;
  /** Characters of a comment's text still to come in Continue records. */
  private textLeft = 0;
  private textHeld = false;

  constructor(private readonly opts: { text: boolean }) {}

  record(type: number, data: Buffer, biff8: boolean): void {
    if (type === CONTINUE && this.textLeft > 0) {
      this.textPiece(data);
      return;
    }
    this.endText();
    if (type === OBJ) this.commentObject = biff8 && data.length >= 6 && data.readUInt16LE(0) === FT_CMO && data.readUInt16LE(4) === OT_COMMENT;
    else if (type === TXO && this.commentObject) {
      this.commentObject = false;
      if (this.opts.text && data.length >= TXO_CCH_TEXT + 2) this.textLeft = data.readUInt16LE(TXO_CCH_TEXT);
    } else if (type === NOTE && biff8) {
      if (data.length >= NOTE_AUTHOR + 3) this.author(data.subarray(NOTE_AUTHOR + 3), data.readUInt16LE(NOTE_AUTHOR), (data[NOTE_AUTHOR + 2]! & 1) === 1);
    } else if (type === NOTE && this.opts.text && data.length > BIFF5_NOTE_TEXT) {
      const text = data.subarray(BIFF5_NOTE_TEXT);
      if (data.readUInt16LE(0) !== 0xffff && holdsText(text, false)) this.blanked++;
      blankChars(text, text.length, false);
    }
  }

  private author(chars: Buffer, count: number, wide: boolean): void {
    const name = chars.subarray(0, Math.min(chars.length, wide ? count * 2 : count)).toString(wide ? "utf16le" : "latin1").trim();
    if (name !== "") this.authors.add(name);
    blankChars(chars, count, wide);
  }

  /** The stream's last record was read. */
  end(): void {
    this.endText();
  }

  /** One Continue record of a comment's text: a flags byte (bit 0: 16-bit characters), then characters. */
  private textPiece(data: Buffer): void {
    if (data.length < 1) return;
    const wide = (data[0]! & 1) === 1;
    const chars = data.subarray(1);
    const count = Math.min(this.textLeft, wide ? chars.length >> 1 : chars.length);
    if (holdsText(chars.subarray(0, wide ? count * 2 : count), wide)) this.textHeld = true;
    blankChars(chars, count, wide);
    this.textLeft -= count;
    if (this.textLeft === 0 || count === 0) this.endText();
  }

  private endText(): void {
    if (this.textHeld) this.blanked++;
    this.textHeld = false;
    this.textLeft = 0;
  }
}

/** `count` characters at the start of `b` (8- or 16-bit, as far as `b` goes) become spaces. */
function blankChars(b: Buffer, count: number, wide: boolean): void {
  const width = wide ? 2 : 1;
  const end = Math.min(b.length - (b.length % width), count * width);
  for (let i = 0; i < end; i += width) {
    b[i] = 0x20;
    if (wide) b[i + 1] = 0;
  }
}

function holdsText(b: Buffer, wide: boolean): boolean {
  const width = wide ? 2 : 1;
  for (let i = 0; i + width <= b.length; i += width) {
    const c = wide ? b.readUInt16LE(i) : b[i]!;
    if (c !== 0x20 && c !== 0) return true;
  }
  return false;
}
