/** Record types of a PowerPoint Document stream ([MS-PPT] 2.13.24). */
const USER_EDIT_ATOM = 0x0ff5;
const PERSIST_DIRECTORY_ATOM = 0x1772;
const TEXT_CHARS_ATOM = 0x0fa0;
const TEXT_BYTES_ATOM = 0x0fa8;
const CSTRING = 0x0fba;
const HEADER = 8;
/** A container's recVer ([MS-PPT] 2.3.1): its body is records. */
const CONTAINER = 0xf;
/** CurrentUserAtom ([MS-PPT] 2.3.2), after its header: size, headerToken, then offsetToCurrentEdit. */
const OFFSET_TO_CURRENT_EDIT = 16;
/** UserEditAtom ([MS-PPT] 2.3.3), after its header: offsetLastEdit at 8, offsetPersistDirectory at 12. */
const OFFSET_LAST_EDIT = 8;
const OFFSET_PERSIST_DIRECTORY = 12;

/**
 * Zeros in place the records of a PowerPoint 97-2003 presentation that no save of it
 * refers to any more, and returns their text. PowerPoint's fast saves append: each writes again
 * what changed (slides, the document container with its slide titles) after the old records,
 * which stay whole, with a new user edit and persist directory; readers find the current version
 * of each object through the chain of edits from the Current User stream ([MS-PPT] 2.1.2), the
 * newest edit naming an object winning. The earlier versions hold earlier wording and deleted
 * slides' text. What the chain reaches stays: every edit, every directory, and the newest place
 * of each object. Each record left behind becomes zeros but its length, so a reader walking the
 * stream still steps over it.
 * A chain that cannot be followed (an edit that is not one, a loop) leaves the stream as it is.
 */
export function zeroSupersededRecords(presentation: Buffer, currentUser: Buffer): string {
  const live = liveRecords(presentation, currentUser);
  if (live == null) return "";
  const removed: string[] = [];
  for (let at = 0; at + HEADER <= presentation.length; ) {
    const end = at + HEADER + presentation.readUInt32LE(at + 4);
    if (end > presentation.length) break;
    if (!live.has(at)) {
      texts(presentation, at, end, removed);
      // All but its length: a reader walking the stream (catppt) steps over a record of type 0,
      // where it would read a container's zeroed body as the end of the stream.
      presentation.fill(0, at, at + 4);
      presentation.fill(0, at + HEADER, end);
    }
    at = end;
  }
  return removed.join("\n");
}

/** The offsets of the records the chain of edits reaches, or null when it cannot be followed. */
function liveRecords(b: Buffer, currentUser: Buffer): Set<number> | null {
  if (currentUser.length < OFFSET_TO_CURRENT_EDIT + 4) return null;
  const live = new Set<number>();
  const newest = new Map<number, number>();
  // The chain ends with the edit whose offsetLastEdit is zero, the first save's.
  for (let edit = currentUser.readUInt32LE(OFFSET_TO_CURRENT_EDIT); ; ) {
    const body = bodyOf(b, edit, USER_EDIT_ATOM);
    if (body == null || live.has(edit) || body.end - body.start < OFFSET_PERSIST_DIRECTORY + 4) return null;
    live.add(edit);
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
  return live;
}

function bodyOf(b: Buffer, at: number, type: number): { start: number; end: number } | null {
  if (at + HEADER > b.length || b.readUInt16LE(at + 2) !== type) return null;
  const end = at + HEADER + b.readUInt32LE(at + 4);
  return end > b.length ? null : { start: at + HEADER, end };
}

const CP1252 = new TextDecoder("windows-1252");

/**
 * The text atoms and strings of the records in `[from, to)`, containers' children included, as
 * catppt reads them. Nesting is followed with a stack of its own: a hostile file can nest
 * containers as deep as its size allows.
 */
function texts(b: Buffer, from: number, to: number, out: string[]): void {
  const pending: [number, number][] = [[from, to]];
  for (let range = pending.pop(); range != null; range = pending.pop()) {
    const [at, limit] = range;
    if (at + HEADER > limit) continue;
    const body = at + HEADER;
    const end = Math.min(limit, body + b.readUInt32LE(at + 4));
    const type = b.readUInt16LE(at + 2);
    // The next sibling first on the stack, the children last: they come out first, in order.
    pending.push([end, limit]);
    if ((b[at]! & 0xf) === CONTAINER) pending.push([body, end]);
    else if (type === TEXT_CHARS_ATOM || type === CSTRING) out.push(b.subarray(body, end - ((end - body) % 2)).toString("utf16le"));
    else if (type === TEXT_BYTES_ATOM) out.push(CP1252.decode(b.subarray(body, end)));
  }
}
