import { BadFileError, TooComplexError } from "../errors.js";
import {
  CLEANED_PICTURES,
  COMMENT_GROUPS,
  COMMENT_MARK,
  CONTENT_GROUPS,
  FORMER_PROPERTIES,
  HIDDEN_DESTINATIONS,
  METADATA_GROUPS,
  PICTURE_IDS,
  REVISION_AUTHORS,
  REVISION_DATES,
  TEXT_WORDS,
  TRACKING,
  isRsidWord,
} from "./rules.js";
import { keepsIgnorable, keepsShapeProperty } from "./destinations.js";
import { Sink } from "./sink.js";
import { DAMAGED, RtfTokens, type Token } from "./tokens.js";

/** Groups nested deeper than this make the file too complex (Word's own documents stay far below). */
export const MAX_DEPTH = 200;
/**
 * Pieces of picture data (runs of hex, `\bin` data) in all pictures together, at most: a writer
 * puts a picture's hex in one run of lines. Each piece is held until the pictures are cleaned: a
 * 12 MB file of two million pieces, or a million tiny pictures, filled a worker's heap (780 MB).
 */
export const MAX_PICTURE_PIECES = 200_000;

export interface RewritePolicy {
  dropComments: boolean;
  dropChanges: boolean;
  /** `keep=copyright`: the document properties keep their author (`{\info{\author}}`). */
  keepAuthor: boolean;
}

/** What the rewrite took out besides metadata. */
export interface RewriteCounts {
  comments: number;
  /** Runs of inserted or deleted text and tracked formatting changes. */
  trackedChanges: number;
  /** Embedded (OLE) objects replaced by the picture of them the document shows. */
  objects: number;
  /** Ignorable destinations of kinds not known to carry layout or content (destinations.ts). */
  privateGroups: number;
}

/** A `{\pict}` group's data, left for the caller to clean and write at `slot` of the output. */
export interface PictureSlot {
  /** The format's control word (`jpegblip`, `pngblip`, `emfblip`, `wmetafile8`...), null if none. */
  format: string | null;
  /** Whether the format's data is cleaned (JPEG, PNG) rather than only checked. */
  cleaned: boolean;
  hex: Buffer[];
  bin: Buffer[];
  /** The data's tokens as they were, for a picture written back unchanged. */
  raw: Buffer[];
  slot: number;
}

export interface Rewritten {
  out: Sink;
  pictures: PictureSlot[];
  counts: RewriteCounts;
}

interface State {
  /** Inside text formatted as deleted (`\deleted`), which goes when changes are dropped. */
  deleted: boolean;
}

type Action = "copy" | "drop" | "empty" | "authors" | "author" | "picture" | "object" | "shapeProperty";

const UNCLOSED = new Error("rtf: the file ends inside a group");
const UNKNOWN_AUTHOR = Buffer.from("{Unknown;}", "latin1");
const CLOSE = Buffer.from("}");
/** The control words naming a picture's format. */
export const PICTURE_FORMATS = /^(jpegblip|pngblip|emfblip|wmetafile\d*|dibitmap\d*|wbitmap\d*|macpict|pmmetafile\d*)$/;

/**
 * Rewrites an RTF document without its metadata (rules.ts), token by token: kept tokens are
 * copied as they were, dropped groups are skipped whole. Review comments and tracked changes go
 * as `policy` says (insertions accepted: their marks go, their text stays; deleted text goes
 * with any field, picture or object in it). Pictures are handed back as slots to fill.
 * Anything after the document's closing brace is no part of it and is left out.
 */
export function rewriteRtf(bytes: Buffer, policy: RewritePolicy): Rewritten {
  return new Rewriter(bytes, policy).document();
}

class Rewriter {
  private readonly tokens: RtfTokens;
  private readonly pictures: PictureSlot[] = [];
  private readonly counts: RewriteCounts = { comments: 0, trackedChanges: 0, objects: 0, privateGroups: 0 };
  private picturePieces = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly policy: RewritePolicy,
  ) {
    this.tokens = new RtfTokens(bytes);
  }

  document(): Rewritten {
    const open = this.tokens.next();
    const head = this.tokens.peekPastLineBreaks();
    if (open?.kind !== "open" || head?.kind !== "word" || head.name !== "rtf") throw new BadFileError(DAMAGED, new Error("rtf: the file does not start with {\\rtf"));
    const out = new Sink();
    this.group(open, { deleted: false }, out, 1);
    return { out, pictures: this.pictures, counts: this.counts };
  }

  private slice(t: Token): Buffer {
    return this.bytes.subarray(t.start, t.end);
  }

  /** A group whose `{` was just read, up to its `}`. */
  private group(open: Token, parent: State, out: Sink, depth: number): void {
    if (depth > MAX_DEPTH) throw new TooComplexError(`RTF groups nested more than ${MAX_DEPTH} deep`);
    const state: State = { ...parent };
    let star: Token | null = null;
    let head = this.tokens.peekPastLineBreaks();
    if (head?.kind === "symbol" && head.ch === "*") {
      star = this.tokens.next();
      head = this.tokens.peekPastLineBreaks();
    }
    const name = head?.kind === "word" ? head.name : null;
    switch (this.actionFor(name, star != null, state)) {
      case "drop":
        this.skip(depth);
        return;
      case "empty":
        // A kept comment's author, initials or date: the group stays, empty.
        this.start(out, open, star);
        out.word(this.slice(this.tokens.next()!));
        this.skip(depth);
        out.other(Buffer.from("}"));
        return;
      case "authors":
        this.start(out, open, star);
        out.word(this.slice(this.tokens.next()!));
        for (let n = this.skip(depth); n > 0; n--) out.other(UNKNOWN_AUTHOR);
        out.other(Buffer.from("}"));
        return;
      case "author":
        this.start(out, open, star);
        out.word(this.slice(this.tokens.next()!));
        this.onlyAuthor(state, out, depth);
        return;
      case "picture":
        this.picture(open, star, state, out, depth);
        return;
      case "object":
        this.object(state, out, depth);
        return;
      case "shapeProperty":
        this.shapeProperty(open, star, state, out, depth);
        return;
      case "copy":
        this.start(out, open, star);
        // The group's own destination word, read as any word is (not as one met inside the group).
        if (name != null) this.inline(this.tokens.next() as Extract<Token, { kind: "word" }>, state, out);
        this.body(state, out, depth);
        return;
    }
  }

  private actionFor(name: string | null, star: boolean, state: State): Action {
    const { dropComments, dropChanges } = this.policy;
    // A `\*` with no control word after it names no destination (a damaged file): it goes as
    // an unknown one would.
    if (name == null) return star ? this.privateGroup() : "copy";
    if (name === "info" && this.policy.keepAuthor) return "author";
    if (METADATA_GROUPS.has(name) || PICTURE_IDS.has(name)) return "drop";
    if (name === "revtbl") return dropChanges ? "drop" : "authors";
    if (COMMENT_GROUPS.has(name)) {
      if (dropComments) {
        if (name === "annotation") this.counts.comments++;
        return "drop";
      }
      return name === "atnid" || name === "atnauthor" || name === "atndate" ? "empty" : name === "atntime" ? "drop" : "copy";
    }
    if (FORMER_PROPERTIES.has(name) && dropChanges) {
      this.counts.trackedChanges++;
      return "drop";
    }
    if (state.deleted && dropChanges && (star || CONTENT_GROUPS.has(name))) return "drop";
    if (star && !keepsIgnorable(name)) return this.privateGroup();
    if (name === "pict") return "picture";
    if (name === "object") return "object";
    if (name === "sp") return "shapeProperty";
    return "copy";
  }

  private privateGroup(): Action {
    this.counts.privateGroups++;
    return "drop";
  }

  private start(out: Sink, open: Token, star: Token | null): void {
    out.other(this.slice(open));
    if (star != null) out.other(this.slice(star));
  }

  /**
   * The rest of a kept group, its `}` included: groups inside are walked as groups, every other
   * token goes to `each` (by default, as the document's own text and words).
   */
  private body(state: State, out: Sink, depth: number, each: (t: Token) => void = (t) => this.inline(t, state, out)): void {
    for (;;) {
      const t = this.tokens.next();
      if (t == null) throw new BadFileError(DAMAGED, UNCLOSED);
      if (t.kind === "close") {
        out.other(this.slice(t));
        return;
      }
      if (t.kind === "open") this.group(t, state, out, depth + 1);
      else if (this.startsHiddenRest(t)) {
        this.skip(depth);
        out.other(CLOSE);
        return;
      } else each(t);
    }
  }

  /**
   * A destination met inside a group rather than at its head: readers (LibreOffice, Word) take
   * the rest of the group as that destination, so the rest goes when it is metadata, review
   * content or an ignorable destination not known to carry content (a damaged file: writers put
   * them first).
   */
  private startsHiddenRest(t: Token): boolean {
    if (t.kind === "word") return HIDDEN_DESTINATIONS.has(t.name);
    if (t.kind !== "symbol" || t.ch !== "*") return false;
    const next = this.tokens.peekPastLineBreaks();
    if (next?.kind === "word" && keepsIgnorable(next.name)) return false;
    this.counts.privateGroups++;
    return true;
  }

  /** The rest of the document properties' group with only its `{\author}` groups, its `}` included. */
  private onlyAuthor(state: State, out: Sink, depth: number): void {
    for (;;) {
      const t = this.tokens.next();
      if (t == null) throw new BadFileError(DAMAGED, UNCLOSED);
      if (t.kind === "close") {
        out.other(this.slice(t));
        return;
      }
      if (t.kind !== "open") continue;
      const head = this.tokens.peekPastLineBreaks();
      if (head?.kind === "word" && head.name === "author") {
        this.start(out, t, null);
        out.word(this.slice(this.tokens.next()!));
        this.body(state, out, depth + 1);
      } else this.skip(depth + 1);
    }
  }

  /** Skips the rest of a group, its `}` included; resolves to the number of groups directly inside. */
  private skip(depth: number): number {
    let level = 0;
    let children = 0;
    for (;;) {
      const t = this.tokens.next();
      if (t == null) throw new BadFileError(DAMAGED, UNCLOSED);
      if (t.kind === "open") {
        if (level === 0) children++;
        if (depth + ++level > MAX_DEPTH) throw new TooComplexError(`RTF groups nested more than ${MAX_DEPTH} deep`);
      } else if (t.kind === "close") {
        if (level === 0) return children;
        level--;
      }
    }
  }

  private inline(t: Exclude<Token, { kind: "open" | "close" }>, state: State, out: Sink): void {
    const dropText = state.deleted && this.policy.dropChanges;
    switch (t.kind) {
      case "text":
        if (!dropText) out.text(this.slice(t));
        return;
      case "bin":
      case "symbol":
        if (!dropText) out.other(this.slice(t));
        return;
      case "word":
        this.word(t, state, out, dropText);
        return;
    }
  }

  private word(t: Extract<Token, { kind: "word" }>, state: State, out: Sink, dropText: boolean): void {
    const { dropComments, dropChanges } = this.policy;
    const n = t.name;
    if (isRsidWord(n)) return;
    if (n === "plain") state.deleted = false;
    if (n === "deleted") state.deleted = t.param !== 0;
    if (dropChanges) {
      if ((n === "deleted" || n === "revised") && t.param !== 0) this.counts.trackedChanges++;
      if (n === "deleted" || n === "revised" || n === TRACKING || REVISION_AUTHORS.has(n) || REVISION_DATES.has(n)) return;
    } else if (REVISION_DATES.has(n)) {
      out.word(Buffer.from(`\\${n}0 `, "latin1"));
      return;
    }
    if (n === COMMENT_MARK && dropComments) return;
    if (dropText && TEXT_WORDS.has(n)) return;
    out.word(this.slice(t));
  }

  /**
   * A `{\pict}`: its control words copied (less the picture's checksum and id), its data left
   * as a slot for the caller, who cleans it (JPEG, PNG) or checks it.
   */
  private picture(open: Token, star: Token | null, state: State, out: Sink, depth: number): void {
    this.start(out, open, star);
    const pic: PictureSlot = { format: null, cleaned: false, hex: [], bin: [], raw: [], slot: -1 };
    const data = (t: Token, bytes: Buffer): void => {
      if (++this.picturePieces > MAX_PICTURE_PIECES) throw new TooComplexError(`RTF pictures in more than ${MAX_PICTURE_PIECES} pieces`);
      if (pic.slot < 0) pic.slot = out.placeholder();
      pic.raw.push(this.slice(t));
      (t.kind === "bin" ? pic.bin : pic.hex).push(bytes);
    };
    this.body(state, out, depth, (t) => {
      if (t.kind === "text") {
        const bytes = this.slice(t);
        if (pic.slot < 0 && !/[^\s]/.test(bytes.toString("latin1"))) out.text(bytes);
        else data(t, bytes);
      } else if (t.kind === "bin") data(t, this.bytes.subarray(t.dataStart, t.end));
      else if (t.kind === "symbol") out.other(this.slice(t));
      else if (t.kind === "word" && !PICTURE_IDS.has(t.name) && !isRsidWord(t.name)) {
        if (PICTURE_FORMATS.test(t.name)) pic.format = t.name;
        out.word(this.slice(t));
      }
    });
    if (pic.slot < 0) return;
    pic.cleaned = pic.format != null && CLEANED_PICTURES.has(pic.format);
    this.pictures.push(pic);
  }

  /**
   * A shape property (`{\sp{\sn name}{\sv value}}`): copied, unless its name (read first) is one
   * that names a file or a person (destinations.ts), when it goes whole.
   */
  private shapeProperty(open: Token, star: Token | null, state: State, out: Sink, depth: number): void {
    const sp = this.tokens.next()!;
    const first = this.tokens.peekPastLineBreaks();
    const inner = first?.kind === "open" ? this.propertyName(this.tokens.next()!) : null;
    if (inner?.name != null && !keepsShapeProperty(inner.name)) {
      this.skip(depth);
      return;
    }
    this.start(out, open, star);
    out.word(this.slice(sp));
    if (inner != null) {
      if (inner.name != null) out.other(this.bytes.subarray(inner.open.start, inner.end));
      else this.group(inner.open, state, out, depth + 1);
    }
    this.body(state, out, depth);
  }

  /**
   * A group whose `{` was just read: when it is a shape property's `{\sn name}`, read whole (the
   * name and the end of the group); otherwise only its `{`, for the caller to walk.
   */
  private propertyName(open: Token): { open: Token; name?: string; end?: number } {
    const head = this.tokens.peekPastLineBreaks();
    if (head?.kind !== "word" || head.name !== "sn") return { open };
    this.tokens.next();
    let name = "";
    for (;;) {
      const t = this.tokens.next();
      if (t == null) throw new BadFileError(DAMAGED, UNCLOSED);
      if (t.kind === "close") return { open, name: name.trim(), end: t.end };
      if (t.kind === "open") throw new BadFileError(DAMAGED, new Error("rtf: a group inside a shape property's name"));
      if (t.kind === "text") name += this.slice(t).toString("latin1");
    }
  }

  /**
   * An embedded (OLE) object: its data (`\objdata`, a whole file of another program, with that
   * program's own properties) and class go; the picture of it that the document shows
   * (`\result`) takes its place, as a group of its own.
   */
  private object(state: State, out: Sink, depth: number): void {
    this.counts.objects++;
    for (;;) {
      const t = this.tokens.next();
      if (t == null) throw new BadFileError(DAMAGED, UNCLOSED);
      if (t.kind === "close") return;
      if (t.kind !== "open") continue;
      const head = this.tokens.peekPastLineBreaks();
      if (head?.kind === "word" && head.name === "result") {
        this.tokens.next();
        out.other(this.slice(t));
        this.body(state, out, depth + 1);
      } else this.skip(depth + 1);
    }
  }
}
