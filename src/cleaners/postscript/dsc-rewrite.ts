import { BadFileError } from "../errors.js";
import { emptyDocumentInfo } from "./document-info.js";

/**
 * Header comments (DSC 3.0) that describe the document's layout and needs: what a printer,
 * a page-layout program or a converter reads. Every other header comment goes: who made it,
 * for whom, when, titles, routing, copyright, keywords, application-private lines (ExifTool's
 * XMP hint, Illustrator's `%AI` settings).
 */
const LAYOUT_KEYS: ReadonlySet<string> = new Set([
  "BoundingBox", "HiResBoundingBox", "ExactBoundingBox", "LanguageLevel", "Pages", "PageOrder", "Orientation",
  "DocumentData", "DocumentMedia", "DocumentPaperSizes", "DocumentPaperForms", "DocumentPaperColors", "DocumentPaperWeights",
  "DocumentNeededResources", "DocumentSuppliedResources", "DocumentNeededFonts", "DocumentSuppliedFonts", "DocumentFonts",
  "DocumentNeededProcSets", "DocumentSuppliedProcSets", "DocumentProcSets", "DocumentNeededFiles", "DocumentSuppliedFiles",
  "DocumentProcessColors", "DocumentCustomColors", "CMYKCustomColor", "RGBCustomColor", "Extensions", "Requirements",
  "ProofMode", "TargetDevice",
]);

/**
 * DSC comments that are metadata wherever they stand (the trailer repeats `(atend)` fields; an
 * embedded document has its own header): the fields ExifTool reads as PostScript tags.
 */
const METADATA_KEYS: ReadonlySet<string> = new Set([
  "Creator", "Title", "For", "CreationDate", "ModDate", "Author", "Copyright", "Routing", "Subject", "Keywords", "Version",
  // Illustrator's version, which it writes again after its header.
  "AI8_CreatorVersion",
]);

/**
 * Blocks that are nothing but metadata, by their first line, with the line that ends them:
 * Photoshop's image resources (IPTC, EXIF, thumbnail, in hex comments), an ICC profile (hex
 * comments), and Adobe's XMP block (pdfmark code that hands the packet to Distiller, a no-op
 * when printing or rendering).
 */
const BLOCKS: readonly { begin: RegExp; end: RegExp; profile?: true }[] = [
  { begin: /^%BeginPhotoshop\b/i, end: /^%EndPhotoshop\b/i },
  { begin: /^%%BeginICCProfile\b/i, end: /^%%EndICCProfile\b/i, profile: true },
  { begin: /^%begin_xml_code\b/, end: /^%end_xml_code\b/ },
];

/**
 * Adobe's XMP block opens a document-wide marked-content sequence for Distiller (`/BDC pdfmark`)
 * that a line in the trailer closes: dropped with the block, or a printer would run the closing
 * `pdfmark` with nothing defining it (the block defines it where it is missing).
 */
const OPENS_MARKED_CONTENT = /\/BDC\s+pdfmark/;
const CLOSES_MARKED_CONTENT = /^\s*\[\s*\/EMC\s+pdfmark\s*$/;

/**
 * Illustrator's private data: its own copy of the whole document (the native artwork, compressed,
 * with the author, file name, dates and XMP), in comment lines that its `ai9_skip_data` procedure
 * reads past up to the end line. Only Illustrator's re-editing reads them; printing and rendering
 * run the program before them. The comment lines between the two go (counted under
 * `privateData`), the two lines stay so that the procedure still stops where it did, and any line
 * that is not a comment is copied, as it is part of the program.
 */
const PRIVATE_DATA = { begin: /^%AI9_PrivateDataBegin\b/, end: /^%AI9_PrivateDataEnd\b/ };

/**
 * An XMP packet inside the program itself, which reads it as data (Illustrator hands it to
 * Distiller through `currentfile ... /SubFileDecode filter`, up to a marker line): every byte of it
 * becomes a space (line ends stay), so that whatever reads it reads the same number of bytes.
 */
const XMP_PACKET_BEGIN = /^\s*<\?xpacket begin=/;
const XMP_PACKET_END = "<?xpacket end=";

/** Data the program reads itself (image samples), copied without looking for comments in it. */
const DATA_BYTES = /^%%Begin(?:Data:\s*(\d+)(?:\s+\S+)?(?:\s+(Bytes|Lines))?|Binary:\s*(\d+))/i;

const DSC = /^%%([A-Za-z][\w-]*)(?::|$)/;

/**
 * An embedded document's opening line names the file it was made from (a user's folder, a
 * client's name): the line stays, for the `%%EndDocument` it pairs with, without the name.
 */
const BEGIN_DOCUMENT = /^%%BeginDocument\b/i;

interface Line {
  /** The line without its end. */
  text: string;
  /** Where the next line starts. */
  next: number;
}

/** The line at `at`: up to CR, LF or CR LF, as DSC allows all three. */
function lineAt(ps: string, at: number): Line {
  let end = at;
  while (end < ps.length && ps[end] !== "\n" && ps[end] !== "\r") end++;
  const next = ps[end] === "\r" && ps[end + 1] === "\n" ? end + 2 : Math.min(end + 1, ps.length);
  return { text: ps.slice(at, end), next };
}

/**
 * Rewrites a PostScript program line by line without its metadata: the header keeps only layout
 * comments, metadata DSC fields go wherever they stand (with their `%%+` continuation lines),
 * embedded documents lose their file name, and Photoshop, ICC (unless kept) and XMP blocks go
 * whole. Lines that are not comments are copied byte for byte, and so is data the program reads
 * itself (`%%BeginData`/`%%BeginBinary`), but for the strings of document information pdfmarks
 * (document-info.ts), which are emptied.
 */
export function rewritePostScript(bytes: Buffer, keepProfile: boolean): { bytes: Buffer; privateData: number; documentInfo: number } {
  const ps = bytes.toString("latin1");
  const out = new Pieces(ps);
  const first = lineAt(ps, 0);
  if (!/^%!(PS|Adobe-PS)/.test(first.text)) throw damaged("it does not start with a PostScript header");
  out.copy(0, first.next);
  let inHeader = true;
  let keptLast = true;
  let openedByDropped = 0;
  let privateData = 0;
  const closers: number[] = [];
  for (let at = first.next; at < ps.length; ) {
    const line = lineAt(ps, at);
    const lineAtStart = at;
    const text = line.text;
    at = line.next;
    if (inHeader && (!/^%\S/.test(text) || /^%%(EndComments|Begin|Page:|Trailer)/.test(text))) inHeader = false;
    if (text.startsWith("%%+")) {
      if (keptLast) out.copy(lineAtStart, at);
      continue;
    }
    const key = DSC.exec(text)?.[1];
    if (inHeader) {
      keptLast = key != null && LAYOUT_KEYS.has(key);
      if (keptLast) out.copy(lineAtStart, at);
      continue;
    }
    keptLast = true;
    const block = BLOCKS.find((b) => b.begin.test(text));
    if (block != null && !(block.profile === true && keepProfile)) {
      const end = skipBlock(ps, at, block.end);
      if (OPENS_MARKED_CONTENT.test(ps.slice(at, end))) openedByDropped += 1;
      at = end;
      continue;
    }
    if (PRIVATE_DATA.begin.test(text)) {
      out.copy(lineAtStart, at);
      const kept = keepProgramLines(ps, at, out);
      privateData += 1;
      at = kept.end;
      continue;
    }
    if (XMP_PACKET_BEGIN.test(text)) {
      const stop = xmpPacketEnd(ps, lineAtStart);
      if (stop == null) throw damaged("an XMP packet has no end");
      out.text(ps.slice(lineAtStart, stop).replace(/[^\r\n]/g, " "));
      at = stop;
      continue;
    }
    if (CLOSES_MARKED_CONTENT.test(text)) {
      closers.push(out.text(ps.slice(lineAtStart, at)));
      continue;
    }
    if (BEGIN_DOCUMENT.test(text)) {
      out.text(`%%BeginDocument${ps.slice(lineAtStart + text.length, at)}`);
      continue;
    }
    if ((key != null && METADATA_KEYS.has(key)) || text.startsWith("%ADO_ContainsXMP")) {
      keptLast = false;
      continue;
    }
    out.copy(lineAtStart, at);
    const data = DATA_BYTES.exec(text);
    if (data != null) {
      const end = dataEnd(ps, at, data);
      out.copy(at, end);
      at = end;
    }
  }
  // The document-wide sequences close last, after any the drawing opens and closes itself.
  for (const i of closers.slice(Math.max(0, closers.length - openedByDropped))) out.parts[i] = "";
  const { ps: program, emptied } = emptyDocumentInfo(out.joined());
  return { bytes: Buffer.from(program, "latin1"), privateData, documentInfo: emptied };
}

/**
 * The rewritten program: runs of the source copied whole (kept lines that follow each other make
 * one piece, not one string each: 30 MB of line ends made an array of 30 million and filled a
 * worker's heap), and text of the rewrite's own, each its own piece.
 */
class Pieces {
  readonly parts: string[] = [];
  private from = 0;
  private to = 0;

  constructor(private readonly ps: string) {}

  copy(from: number, to: number): void {
    if (from !== this.to || this.to === this.from) this.flush();
    if (this.to === this.from) this.from = from;
    this.to = to;
  }

  /** Text of its own; where it lies among the parts, to blank it later. */
  text(s: string): number {
    this.flush();
    return this.parts.push(s) - 1;
  }

  joined(): string {
    this.flush();
    return this.parts.join("");
  }

  private flush(): void {
    if (this.to > this.from) this.parts.push(this.ps.slice(this.from, this.to));
    this.from = this.to = 0;
  }
}

/**
 * Where the XMP packet starting at `from` ends: after the first `<?xpacket end=...?>`, its
 * attributes holding no `>`. Found by searching, not by a regular expression, which tried every
 * `<?xpacket end=` up to the next `>` (20,000 of them without one took 2.5 s, time growing with
 * the square of their number).
 */
function xmpPacketEnd(ps: string, from: number): number | null {
  for (let at = ps.indexOf(XMP_PACKET_END, from); at >= 0; ) {
    const close = ps.indexOf(">", at + XMP_PACKET_END.length);
    if (close < 0) return null;
    if (ps[close - 1] === "?" && close - 1 >= at + XMP_PACKET_END.length) return close + 1;
    at = ps.indexOf(XMP_PACKET_END, close + 1);
  }
  return null;
}

/**
 * From `from` (after Illustrator's private-data begin line) to its end line: the lines that are
 * not comments go to `out`; resolves where the end line starts.
 */
function keepProgramLines(ps: string, from: number, out: Pieces): { end: number } {
  for (let at = from; at < ps.length; ) {
    const line = lineAt(ps, at);
    if (PRIVATE_DATA.end.test(line.text)) return { end: at };
    if (!line.text.startsWith("%")) out.copy(at, line.next);
    at = line.next;
  }
  throw damaged("Illustrator's private data has no end line");
}

/** Where the line after a block's end line starts. */
function skipBlock(ps: string, from: number, end: RegExp): number {
  for (let at = from; at < ps.length; ) {
    const line = lineAt(ps, at);
    at = line.next;
    if (end.test(line.text)) return at;
  }
  throw damaged("a metadata block has no end line");
}

/** Where the data announced by a `%%BeginData`/`%%BeginBinary` line ends. */
function dataEnd(ps: string, from: number, m: RegExpExecArray): number {
  const count = Number(m[1] ?? m[3]);
  if (m[2]?.toLowerCase() !== "lines") {
    if (from + count > ps.length) throw damaged("its binary data runs past the end of the file");
    return from + count;
  }
  let at = from;
  for (let i = 0; i < count; i++) {
    if (at >= ps.length) throw damaged("its data lines run past the end of the file");
    at = lineAt(ps, at).next;
  }
  return at;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The PostScript file is damaged: ${why}.`);
}
