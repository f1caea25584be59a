/** [MS-PPT] 2.13.2 Comment10Container: one review comment on a slide (PowerPoint 2002 and later). */
const COMMENT = 0x2ee0;
/** Its Comment10Atom: the comment's index, its date (a SYSTEMTIME), where it is anchored. */
const COMMENT_ATOM = 0x2ee1;
/** [MS-PPT] 2.13.4 CommentIndex10Container: one comment author of the presentation and the next index. */
const COMMENT_INDEX = 0x2ee4;
const COMMENT_INDEX_ATOM = 0x2ee5;
/** A CString atom (UTF-16 text). In a comment: instance 0 the author, 1 the text, 2 the initials. */
const CSTRING = 0x0fba;
const TEXT_INSTANCE = 1;
const DATE = { at: 4, length: 16 };

interface Child {
  instance: number;
  type: number;
  /** Its data, after the 8-byte header. */
  at: number;
  length: number;
}

/**
 * Blanks the review comments of a `PowerPoint Document` stream in place (records are found by
 * their offsets, so nothing may move): their authors and initials, in the comments and in the
 * presentation's list of comment authors, become spaces, their dates zeros, and their text spaces
 * unless `text` is false (`keep=comments`). ExifTool reads none of these. Resolves to the number
 * of comments whose text was blanked.
 */
export function blankPresentationComments(stream: Buffer, opts: { text: boolean }): number {
  let blanked = 0;
  for (const { type, children } of commentContainers(stream)) {
    for (const c of children) {
      if (c.type === CSTRING && (type !== COMMENT || c.instance !== TEXT_INSTANCE || opts.text)) spaces(stream, c);
      if (c.type === COMMENT_ATOM) stream.fill(0, c.at + DATE.at, c.at + DATE.at + DATE.length);
    }
    if (type === COMMENT && opts.text) blanked++;
  }
  return blanked;
}

/**
 * The review comments of a `PowerPoint Document` stream that still hold text, and the names of
 * their authors (in the comments and in the list of comment authors), each once: what
 * blankPresentationComments would take away. A cleaned copy has none.
 */
export function surveyPresentationComments(stream: Buffer): { comments: number; authors: string[] } {
  let comments = 0;
  const authors = new Set<string>();
  for (const { type, children } of commentContainers(stream)) {
    for (const c of children) {
      if (c.type !== CSTRING) continue;
      const text = stream.toString("utf16le", c.at, c.at + c.length).trim();
      if (text === "") continue;
      if (type === COMMENT && c.instance === TEXT_INSTANCE) comments++;
      else if (c.instance === 0) authors.add(text);
    }
  }
  return { comments, authors: [...authors] };
}

/**
 * The comment and comment-author containers of the stream. They sit inside binary tag blobs
 * rather than in a tree a walk of containers reaches, so they are found by their headers, each
 * taken only when its children are exactly the records such a container holds.
 */
function* commentContainers(stream: Buffer): Generator<{ type: number; children: Child[] }> {
  for (const [type, fits] of [
    [COMMENT, fitsComment],
    [COMMENT_INDEX, fitsCommentIndex],
  ] as const) {
    const header = Buffer.from([0x0f, 0x00, type & 0xff, type >> 8]);
    for (let at = stream.indexOf(header); at >= 0 && stream.length - at >= 8; at = stream.indexOf(header, at + 1)) {
      const children = childrenOf(stream, at + 8, stream.readUInt32LE(at + 4));
      if (children != null && fits(children)) yield { type, children };
    }
  }
}

/** The atoms of a container's data [at, at + length), or null unless they fill it exactly. */
function childrenOf(stream: Buffer, at: number, length: number): Child[] | null {
  const end = at + length;
  if (end > stream.length) return null;
  const children: Child[] = [];
  for (let p = at; p < end; ) {
    if (end - p < 8) return null;
    const verInstance = stream.readUInt16LE(p);
    const child = { instance: verInstance >> 4, type: stream.readUInt16LE(p + 2), at: p + 8, length: stream.readUInt32LE(p + 4) };
    if ((verInstance & 0xf) !== 0 || child.at + child.length > end) return null;
    children.push(child);
    p = child.at + child.length;
  }
  return children;
}

function fitsComment(children: readonly Child[]): boolean {
  const atoms = children.filter((c) => c.type === COMMENT_ATOM);
  return atoms.length === 1 && atoms[0]!.length >= DATE.at + DATE.length && children.every((c) => c.type === COMMENT_ATOM || (c.type === CSTRING && c.instance <= 2 && c.length % 2 === 0));
}

function fitsCommentIndex(children: readonly Child[]): boolean {
  return children.some((c) => c.type === COMMENT_INDEX_ATOM) && children.every((c) => c.type === COMMENT_INDEX_ATOM || (c.type === CSTRING && c.instance <= 1 && c.length % 2 === 0));
}

/** A CString's characters become UTF-16 spaces. */
function spaces(stream: Buffer, c: Child): void {
  for (let p = c.at; p + 1 < c.at + c.length; p += 2) stream.writeUInt16LE(0x20, p);
}
