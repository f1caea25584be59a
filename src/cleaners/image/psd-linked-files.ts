import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { innerRefusal } from "../inner-refusal.js";
import { Assembly } from "./psd-assembly.js";
import type { LayerCleaning } from "./psd-block-policy.js";
import { descriptorEnd, unicodeEnd } from "./psd-descriptor.js";
import { withDerivedId } from "./psd-placed-layers.js";
import { DAMAGED, lengthBytes, readLength } from "./psd-structure.js";
import type { TaggedBlock } from "./psd-tagged-blocks.js";

/** An item's fields before its file (ids, name, types, the descriptor of how to open it) are read within this many bytes. */
const MAX_ITEM_HEAD = 1024 * 1024;
/** Item types (Photoshop File Formats Specification, "Linked Layer"): a file embedded whole, a link to a file on disk, an alias. */
const EMBEDDED = "liFD";

/** One item of a linked-layer block: [at, end) holds it, `next` is where the following one's length is. */
interface Item {
  at: number;
  end: number;
  next: number;
}

/** The items of a linked-layer block: each behind a 64-bit length, padded to four bytes. */
async function items(src: FileBytes, block: TaggedBlock): Promise<Item[]> {
  const found: Item[] = [];
  const end = block.dataAt + block.size;
  for (let at = block.dataAt; at + 8 <= end; ) {
    const size = await readLength(src, at, true);
    if (at + 8 + size > end) throw new BadFileError(DAMAGED);
    const next = Math.min(at + 8 + size + ((4 - (size % 4)) % 4), end);
    found.push({ at: at + 8, end: at + 8 + size, next });
    at = next;
  }
  return found;
}

/** One item of a linked-layer block as its head tells: a file embedded whole (`embedded`) or not, and its original name. */
export interface LinkedItem {
  embedded: boolean;
  name: string;
  /** Where an embedded file's bytes are in the document. */
  file?: { at: number; length: number };
}

/** The items of a linked-layer block (`lnk2`, `lnk3`, `lnkD`, `lnkE`): their type and original name, read from their heads. */
export async function linkedItems(src: FileBytes, block: TaggedBlock): Promise<LinkedItem[]> {
  const found: LinkedItem[] = [];
  for (const item of await items(src, block)) {
    const head = Buffer.from(await src.read(item.at, Math.min(item.end - item.at, MAX_ITEM_HEAD)));
    if (head.length < 9) throw new BadFileError(DAMAGED);
    const nameAt = 8 + 1 + head[8]!;
    unicodeEnd(head, nameAt);
    const embedded = head.toString("latin1", 0, 4) === EMBEDDED;
    found.push({ embedded, name: nameOf(head, nameAt), ...(embedded ? { file: embeddedFile(head, item) } : {}) });
  }
  return found;
}

/** Where an embedded item's file is (its head read within `head`): after the type, version, unique id, original name, file types, length and the descriptor of how to open it. */
function embeddedFile(head: Buffer, item: Item): { at: number; length: number } {
  // Type, version, unique id (a Pascal string: the placed layer's `SoLd` names it), original name.
  const nameAt = 8 + 1 + head[8]!;
  const typesEnd = unicodeEnd(head, nameAt) + 8;
  if (typesEnd + 9 > head.length) throw new BadFileError(DAMAGED);
  const length = Number(head.readBigUInt64BE(typesEnd));
  // The flag for a descriptor of how to open the file (a PDF's page, say), then the descriptor after its version.
  const openEnd = head[typesEnd + 8] !== 0 ? descriptorEnd(head, typesEnd + 9 + 4) : typesEnd + 9;
  const at = item.at + openEnd;
  if (!Number.isSafeInteger(length) || at + length > item.end) throw new BadFileError(DAMAGED);
  return { at, length };
}

/** Links to files on the author's disk (`lnkE`): each names the file's full path and dates; they go. */
export async function externalLinkCount(src: FileBytes, block: TaggedBlock): Promise<number> {
  return (await items(src, block)).length;
}

/**
 * The smart objects' files (`lnk2`, `lnk3`, `lnkD`), each item rewritten: a file embedded whole
 * (a placed photo with its EXIF and GPS, a PDF, another Photoshop document) is cleaned by the
 * cleaner its bytes call for (`ctx.cleanNested`, which verifies it and counts what it removed)
 * and counted as an attachment; its name keeps only its extension (Photoshop opens the contents
 * by it), the id of the document it came from and its modification time go, its unique id (a
 * UUID) becomes a derived one (psd-placed-layers.ts). An item linking to a
 * file outside (its full path on the author's disk, its dates) or an alias goes, counted as an
 * external link: the layer still shows its pixels, and Photoshop asks for the file when it is
 * edited. A file no cleaner handles makes the document refused.
 */
export async function cleanLinkedFiles(c: LayerCleaning, block: TaggedBlock): Promise<Assembly> {
  const out = new Assembly();
  for (const item of await items(c.src, block)) {
    const cleaned = await cleanItem(c, item);
    if (cleaned == null) {
      c.hidden["externalLinks"] = (c.hidden["externalLinks"] ?? 0) + 1;
      continue;
    }
    const pad = (4 - (cleaned.length % 4)) % 4;
    out.bytes(lengthBytes(cleaned.length, true)).add(cleaned).bytes(Buffer.alloc(pad));
  }
  return out;
}

/** The item rewritten, or null for one that goes. */
async function cleanItem(c: LayerCleaning, item: Item): Promise<Assembly | null> {
  const head = Buffer.from(await c.src.read(item.at, Math.min(item.end - item.at, MAX_ITEM_HEAD)));
  if (head.length < 9) throw new BadFileError(DAMAGED);
  if (head.toString("latin1", 0, 4) !== EMBEDDED) return null;
  const version = head.readUInt32BE(4);
  const nameAt = 8 + 1 + head[8]!;
  const nameEnd = unicodeEnd(head, nameAt);
  const typesEnd = nameEnd + 8;
  const { at: fileAt, length: fileLength } = embeddedFile(head, item);
  const openEnd = fileAt - item.at;
  const fileEnd = fileAt + fileLength;
  const tail = Buffer.from(await c.src.read(fileEnd, Math.min(item.end - fileEnd, MAX_ITEM_HEAD)));
  // From version 5 on: the id of the document it came from; 6: its modification time; 7: its locked state.
  const lockedAt = version >= 5 ? unicodeEnd(tail, 0) + (version >= 6 ? 8 : 0) : 0;
  const locked = version >= 7 ? tail.subarray(lockedAt, lockedAt + 1) : Buffer.alloc(0);
  if (version >= 7 && locked.length !== 1) throw new BadFileError(DAMAGED);

  // The unique id the placed layer's settings link to, derived there the same way.
  withDerivedId(head, 9, 9 + head[8]!);
  const file = fileLength > 0 ? await cleanedFile(c, fileAt, fileEnd) : null;
  c.hidden["attachments"] = (c.hidden["attachments"] ?? 0) + 1;
  return new Assembly()
    .bytes(
      head.subarray(0, nameAt),
      unicode(`embedded${extensionOf(head, nameAt)}`),
      head.subarray(nameEnd, typesEnd),
      lengthBytes(file?.size ?? 0, true),
      head.subarray(typesEnd + 8, openEnd),
    )
    .file(file?.path ?? "", file?.size ?? 0)
    .bytes(version >= 5 ? unicode("") : Buffer.alloc(0), version >= 6 ? Buffer.alloc(8) : Buffer.alloc(0), locked);
}

/**
 * The embedded file [from, to) cleaned by the cleaner its bytes call for, in the work folder
 * (removed with it after the document is written): it is copied into the document from there,
 * never held whole in memory.
 */
async function cleanedFile(c: LayerCleaning, from: number, to: number): Promise<{ path: string; size: number }> {
  const n = c.hidden["attachments"] ?? 0;
  const input = path.join(c.ctx.workDir, `linked-${n}`);
  const output = `${input}-clean`;
  const handle = await fsp.open(input, "wx");
  try {
    for (let at = from; at < to; ) {
      const chunk = await c.src.read(at, Math.min(to - at, 1 << 20));
      if (chunk.length === 0) throw new BadFileError(DAMAGED);
      await handle.write(chunk);
      at += chunk.length;
    }
  } finally {
    await handle.close();
  }
  if ((await c.ctx.cleanNested(input, output)) == null) {
    throw innerRefusal(c.ctx, "The document holds a placed file (a smart object)", input, null, "psd: no cleaner for a linked file");
  }
  await fsp.rm(input);
  return { path: output, size: (await fsp.stat(output)).size };
}

/** The extension of the item's original name (".jpg"), when it is a short one of letters and digits. */
function extensionOf(head: Buffer, nameAt: number): string {
  return /(\.[A-Za-z0-9]{1,5})$/.exec(nameOf(head, nameAt))?.[1] ?? "";
}

/** The item's original name (a Unicode string at `nameAt`, read already within `head`). */
function nameOf(head: Buffer, nameAt: number): string {
  const units = head.readUInt32BE(nameAt);
  return Buffer.from(head.subarray(nameAt + 4, nameAt + 4 + 2 * units)).swap16().toString("utf16le").replace(/\0+$/, "");
}

/** A Unicode string as Photoshop writes it: a count of UTF-16 units, then the units, big-endian. */
function unicode(text: string): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(text.length);
  return Buffer.concat([count, Buffer.from(text, "utf16le").swap16()]);
}
