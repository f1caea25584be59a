/** Record headers of OfficeArt ([MS-ODRAW] 2.1) and of PowerPoint ([MS-PPT] 2.3.1), which share their form. */
const HEADER = 8;
/** A record's recVer that makes it a container: its body is records. */
const CONTAINER = 0xf;
/** An OfficeArtFBSE ([MS-ODRAW] 2.2.32): an entry of the picture store, its picture's size at byte 20, its place in the delay stream at 28. */
const FBSE = 0xf007;
const FBSE_SIZE = 20;
const FBSE_FO_DELAY = 28;
const NOT_DELAYED = 0xffffffff;

/**
 * Calls `visit` for every record in `[from, to)`, containers' children after their container, in
 * order. Nesting is followed with a stack of its own: a hostile file can nest containers as deep
 * as its size allows.
 */
export function walkRecords(b: Buffer, from: number, to: number, visit: (type: number, body: number, end: number) => void): void {
  const pending: [number, number][] = [[from, to]];
  for (let range = pending.pop(); range != null; range = pending.pop()) {
    const [at, limit] = range;
    if (at + HEADER > limit) continue;
    const body = at + HEADER;
    const end = Math.min(limit, body + b.readUInt32LE(at + 4));
    // The next sibling first on the stack, the children last: they come out first, in order.
    pending.push([end, limit]);
    if ((b[at]! & 0xf) === CONTAINER) pending.push([body, end]);
    visit(b.readUInt16LE(at + 2), body, end);
  }
}

/**
 * The pictures the picture store entries (FBSEs) among the records in `[from, to)` place in the
 * delay stream (Word's WordDocument stream, PowerPoint's Pictures stream): foDelay and size.
 */
export function delayedPictures(b: Buffer, from: number, to: number): { start: number; size: number }[] {
  const found: { start: number; size: number }[] = [];
  walkRecords(b, from, to, (type, body, end) => {
    if (type !== FBSE || body + FBSE_FO_DELAY + 4 > end) return;
    const start = b.readUInt32LE(body + FBSE_FO_DELAY);
    if (start !== NOT_DELAYED) found.push({ start, size: b.readUInt32LE(body + FBSE_SIZE) });
  });
  return found;
}
