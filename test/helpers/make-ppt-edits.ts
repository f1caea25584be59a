import crypto from "node:crypto";
import CFB from "cfb";

const SLIDE_CONTAINER = 0x03ee;
const TEXT_CHARS_ATOM = 0x0fa0;
const TEXT_BYTES_ATOM = 0x0fa8;
const USER_EDIT_ATOM = 0x0ff5;
const PERSIST_DIRECTORY_ATOM = 0x1772;

function header(type: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(type, 2);
  h.writeUInt32LE(length, 4);
  return h;
}

/** The persist directory of one edit: persist id -> offset ([MS-PPT] 2.3.4). */
function directoryOf(d: Buffer, at: number): Map<number, number> {
  const entries = new Map<number, number>();
  const end = at + 8 + d.readUInt32LE(at + 4);
  for (let p = at + 8; p + 4 <= end; ) {
    const head = d.readUInt32LE(p);
    p += 4;
    for (let k = 0; k < head >>> 20; k++, p += 4) entries.set((head & 0xfffff) + k, d.readUInt32LE(p));
  }
  return entries;
}

/** Where `text` lies in the first text atom of the record at `at` holding it (UTF-16 or 8-bit), and in which form. */
function textAtom(d: Buffer, from: number, to: number, text: string): { at: number; wide: boolean } | null {
  for (let p = from; p + 8 <= to; ) {
    const type = d.readUInt16LE(p + 2);
    const end = p + 8 + d.readUInt32LE(p + 4);
    if ((d[p]! & 0xf) === 0xf) {
      const inner = textAtom(d, p + 8, end, text);
      if (inner != null) return inner;
    } else if (type === TEXT_CHARS_ATOM || type === TEXT_BYTES_ATOM) {
      const wide = type === TEXT_CHARS_ATOM;
      const i = d.subarray(p + 8, end).indexOf(Buffer.from(text, wide ? "utf16le" : "latin1"));
      if (i >= 0) return { at: p + 8 + i, wide };
    }
    p = end;
  }
  return null;
}

/**
 * The presentation as a later fast save of PowerPoint leaves it ([MS-PPT] 2.1.2): the slide
 * holding `text` written again after the old records (unchanged), with a persist directory naming
 * that new place and a user edit pointing back to the previous one, which the Current User stream
 * now names. The slide's earlier version stays where it was, its `text` replaced by `earlier`
 * (the same length): the wording before the last edit, which no reader of the presentation
 * shows any more.
 */
export function withEarlierSave(file: Buffer, text: string, earlier: string): Buffer {
  if (earlier.length !== text.length) throw new Error("the earlier wording must have the text's length");
  const doc = CFB.read(file, { type: "buffer" });
  const stream = CFB.find(doc, "PowerPoint Document")!;
  const user = CFB.find(doc, "Current User")!;
  const d = Buffer.from(stream.content);
  const current = Buffer.from(user.content);
  const edit = current.readUInt32LE(16);
  if (d.readUInt16LE(edit + 2) !== USER_EDIT_ATOM) throw new Error("no user edit where the Current User stream points");
  const directory = directoryOf(d, d.readUInt32LE(edit + 8 + 12));
  const slide = [...directory].find(([, at]) => d.readUInt16LE(at + 2) === SLIDE_CONTAINER && textAtom(d, at + 8, at + 8 + d.readUInt32LE(at + 4), text) != null);
  if (slide == null) throw new Error(`no slide holds "${text}"`);
  const [id, at] = slide;
  const end = at + 8 + d.readUInt32LE(at + 4);
  const again = Buffer.from(d.subarray(at, end));
  const place = textAtom(d, at + 8, end, text)!;
  Buffer.from(earlier, place.wide ? "utf16le" : "latin1").copy(d, place.at);

  const slideAt = d.length;
  const entry = Buffer.alloc(8);
  entry.writeUInt32LE((id | (1 << 20)) >>> 0, 0);
  entry.writeUInt32LE(slideAt, 4);
  const directoryAt = slideAt + again.length;
  const newEdit = Buffer.from(d.subarray(edit, edit + 8 + d.readUInt32LE(edit + 4)));
  newEdit.writeUInt32LE(edit, 8 + 8);
  newEdit.writeUInt32LE(directoryAt, 8 + 12);
  const editAt = directoryAt + 8 + entry.length;
  const content = Buffer.concat([d, again, header(PERSIST_DIRECTORY_ATOM, entry.length), entry, newEdit]);
  stream.content = content;
  stream.size = content.length;
  current.writeUInt32LE(editAt, 16);
  user.content = current;
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}

/** OfficeArtBlipJPEG ([MS-ODRAW] 2.2.27): recInstance 0x46A (one identifier), then a tag byte and the JPEG. */
const BLIP_JPEG = 0xf01d;
const BLIP_JPEG_INSTANCE = 0x46a;

/**
 * The presentation with one more picture in its Pictures stream, after the others, that no entry
 * of its picture store names: a picture deleted from the presentation, which PowerPoint's fast
 * saves leave where it was.
 */
export function withDeletedPicture(file: Buffer, jpeg: Buffer): Buffer {
  const doc = CFB.read(file, { type: "buffer" });
  const stream = CFB.find(doc, "Pictures");
  if (stream == null) throw new Error("no Pictures stream");
  const blip = Buffer.concat([Buffer.alloc(8), crypto.randomBytes(16), Buffer.from([0xff]), jpeg]);
  blip.writeUInt16LE(BLIP_JPEG_INSTANCE << 4, 0);
  blip.writeUInt16LE(BLIP_JPEG, 2);
  blip.writeUInt32LE(blip.length - 8, 4);
  const content = Buffer.concat([Buffer.from(stream.content), blip]);
  stream.content = content;
  stream.size = content.length;
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}
