import { delayedPictures, walkRecords } from "./office-art.js";
import { mark, zeroUnmarked } from "./unreferenced-bytes.js";

/** Record types of a PowerPoint Document stream ([MS-PPT] 2.13.24). */
const USER_EDIT_ATOM = 0x0ff5;
const PERSIST_DIRECTORY_ATOM = 0x1772;
const TEXT_CHARS_ATOM = 0x0fa0;
const TEXT_BYTES_ATOM = 0x0fa8;
const CSTRING = 0x0fba;
const DOCUMENT_CONTAINER = 0x03e8;
const HEADER = 8;
/** CurrentUserAtom ([MS-PPT] 2.3.2), after its header: size, headerToken, then offsetToCurrentEdit. */
const OFFSET_TO_CURRENT_EDIT = 16;
/** UserEditAtom ([MS-PPT] 2.3.3), after its header: offsetLastEdit at 8, offsetPersistDirectory at 12, docPersistIdRef at 16. */
const OFFSET_LAST_EDIT = 8;
const OFFSET_PERSIST_DIRECTORY = 12;
const DOC_PERSIST_ID_REF = 16;

/** What went: the text of the records (one line per text atom or string), how many records, how many runs of pictures. */
export interface Superseded {
  text: string;
  records: number;
  pictures: number;
}

/**
 * Zeros in place the records of a PowerPoint 97-2003 presentation that no save of it
 * refers to any more, and says what went. PowerPoint's fast saves append: each writes again
 * what changed (slides, the document container with its slide titles) after the old records,
 * which stay whole, with a new user edit and persist directory; readers find the current version
 * of each object through the chain of edits from the Current User stream ([MS-PPT] 2.1.2), the
 * newest edit naming an object winning. The earlier versions hold earlier wording and deleted
 * slides' text. What the chain reaches stays: every edit, every directory, and the newest place
 * of each object. Each record left behind becomes zeros but its length, so a reader walking the
 * stream still steps over it. So do the pictures of the Pictures stream that the current
 * document's picture store does not name (a picture deleted from the presentation): its
 * entries' places and sizes there ([MS-PPT] 2.1.3 delay stream).
 * A chain that cannot be followed (an edit that is not one, a loop) leaves the streams as they are.
 */
export function zeroSupersededRecords(presentation: Buffer, currentUser: Buffer, pictures: Buffer | null): Superseded {
  const none = { text: "", records: 0, pictures: 0 };
  const edits = readEdits(presentation, currentUser);
  if (edits == null) return none;
  const { live, document } = edits;
  const records: { at: number; end: number }[] = [];
  for (let at = 0; at + HEADER <= presentation.length; ) {
    const end = at + HEADER + presentation.readUInt32LE(at + 4);
    if (end > presentation.length) break;
    records.push({ at, end });
    at = end;
  }
  // An object the chain names inside another record, or past the records: the stream is not
  // laid out as this reading expects, and nothing is taken from it.
  const starts = new Set(records.map((r) => r.at));
  if ([...live].some((at) => !starts.has(at))) return none;
  const removed: string[] = [];
  let zeroed = 0;
  for (const { at, end } of records) {
    // A record already zeroed (a cleaned copy's) is no leftover.
    if (live.has(at) || (presentation.readUInt16LE(at + 2) === 0 && isZero(presentation, at + HEADER, end))) continue;
    zeroed++;
    texts(presentation, at, end, removed);
    // All but its length: a reader walking the stream (catppt) steps over a record of type 0,
    // where it would read a container's zeroed body as the end of the stream.
    presentation.fill(0, at, at + 4);
    presentation.fill(0, at + HEADER, end);
  }
  const deleted = pictures != null && document != null ? zeroUnnamedPictures(presentation, document, pictures) : 0;
  return { text: removed.join("\n"), records: zeroed, pictures: deleted };
}

/**
 * Zeros what of the Pictures stream no entry of the picture store in the document container at
 * `document` names; returns how many runs of bytes that held something it zeroed (the pictures deleted).
 */
function zeroUnnamedPictures(presentation: Buffer, document: number, pictures: Buffer): number {
  const container = bodyOf(presentation, document, DOCUMENT_CONTAINER);
  if (container == null) return 0;
  const named = new Uint8Array(pictures.length);
  for (const { start, size } of delayedPictures(presentation, container.start, container.end)) mark(named, start, size);
  return zeroUnmarked(pictures, named).length;
}

/**
 * The offsets of the records the chain of edits reaches, and the current document container's,
 * or null when the chain cannot be followed.
 */
function readEdits(b: Buffer, currentUser: Buffer): { live: Set<number>; document: number | undefined } | null {
  if (currentUser.length < OFFSET_TO_CURRENT_EDIT + 4) return null;
  const live = new Set<number>();
  const newest = new Map<number, number>();
  let documentId: number | null = null;
  // The chain ends with the edit whose offsetLastEdit is zero, the first save's.
  for (let edit = currentUser.readUInt32LE(OFFSET_TO_CURRENT_EDIT); ; ) {
    const body = bodyOf(b, edit, USER_EDIT_ATOM);
    if (body == null || live.has(edit) || body.end - body.start < OFFSET_PERSIST_DIRECTORY + 4) return null;
    live.add(edit);
    documentId ??= b.readUInt32LE(body.start + DOC_PERSIST_ID_REF);
    const directory = b.readUInt32LE(body.start + OFFSET_PERSIST_DIRECTORY);
    const entries = bodyOf(b, directory, PERSIST_DIRECTORY_ATOM);
    if (entries == null) return null;
    live.add(directory);
    // PersistDirectoryEntry ([MS-PPT] 2.3.5): a persist id (20 bits) and a count (12), then that many offsets.
    for (let at = entries.start; at + 4 <= entries.end; ) {
      const head = b.readUInt32LE(at);
      const count = head >>> 20;
      at += 4;
      for (let k = 0; k < count && at + 4 <= entries.end; k++, at += 4) {
        const id = (head & 0xfffff) + k;
        if (!newest.has(id)) newest.set(id, b.readUInt32LE(at));
      }
    }
    edit = b.readUInt32LE(body.start + OFFSET_LAST_EDIT);
    if (edit === 0) break;
  }
  for (const at of newest.values()) live.add(at);
  return { live, document: newest.get(documentId!) };
}

function isZero(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function bodyOf(b: Buffer, at: number, type: number): { start: number; end: number } | null {
  if (at + HEADER > b.length || b.readUInt16LE(at + 2) !== type) return null;
  const end = at + HEADER + b.readUInt32LE(at + 4);
  return end > b.length ? null : { start: at + HEADER, end };
}

const CP1252 = new TextDecoder("windows-1252");

/** The text atoms and strings of the records in `[from, to)`, containers' children included, as catppt reads them. */
function texts(b: Buffer, from: number, to: number, out: string[]): void {
  walkRecords(b, from, to, (type, body, end) => {
    if (type === TEXT_CHARS_ATOM || type === CSTRING) out.push(b.subarray(body, end - ((end - body) % 2)).toString("utf16le"));
    else if (type === TEXT_BYTES_ATOM) out.push(CP1252.decode(b.subarray(body, end)));
  });
}
