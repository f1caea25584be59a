import { BadFileError, TooComplexError } from "../errors.js";
import type { FileBytes } from "../file-bytes.js";
import { DAMAGED, MAX_RESOURCES } from "./psd-structure.js";

/**
 * The image resources (Adobe Photoshop File Formats Specification, "Image Resource IDs") that
 * say how to show the document: resolution, alpha channels' names and colours, layer state and
 * groups, lighting of layer effects, indexed colours, pixel aspect ratio, the version block
 * (whose "real merged data" flag says whether the composite image can be trusted), paths
 * (0x07D0-0x0BB6: vector content, such as the clipping path) and the clipping path's name.
 * Every other resource goes: EXIF, XMP, IPTC, thumbnails, URLs, the copyright flag, print
 * settings (the Mac print record and its XML, which name the printer), slices (their group is
 * named after the document), layer comps (they carry comments), the layer ID seed, plug-in data
 * and any resource this list does not know.
 */
const KEPT_RESOURCES: ReadonlySet<number> = new Set([
  0x03ed, 0x03ee, 0x03ef, 0x0400, 0x0402, 0x040d, 0x0411, 0x0415, 0x0416, 0x0417, 0x0419, 0x041d, 0x0421, 0x0428,
  0x042d, 0x0430, 0x0435, 0x0bb7,
]);
const ICC_PROFILE = 0x040f;
const VERSION_INFO = 0x0421;
export const isPath = (id: number): boolean => id >= 0x07d0 && id <= 0x0bb6;
/** The version block holds a flag, two names and two numbers: a longer one is not read. */
const MAX_VERSION_INFO = 64 * 1024;
/** Resources kept at most (Photoshop writes a few dozen, and at most 999 paths). */
const MAX_KEPT = 4096;
/** Resource block signatures seen in Photoshop documents ("8BIM"; the others come from older tools). */
const SIGNATURES = new Set(["8BIM", "MeSa", "AgHg", "PHUT", "DCSR"]);

/** One resource block of the section: its id, where it starts, its data [dataAt, dataAt + size). */
export interface ResourceBlock {
  id: number;
  head: Buffer;
  dataAt: number;
  size: number;
}

/**
 * The resource blocks of the section [from, to), reading only their heads. More than
 * MAX_RESOURCES blocks are too complex: the walk stops there, so a hostile file costs little.
 */
export async function* resourceBlocks(src: FileBytes, from: number, to: number): AsyncGenerator<ResourceBlock> {
  let count = 0;
  for (let at = from; at < to; ) {
    if (++count > MAX_RESOURCES) throw new TooComplexError(`psd: more than ${MAX_RESOURCES} image resources`);
    const head = await src.read(at, 7);
    if (at + 12 > to || !SIGNATURES.has(head.toString("latin1", 0, 4))) throw new BadFileError(DAMAGED);
    // The name: a Pascal string padded so that it and its length byte take an even count.
    const nameLength = head[6]! + 1;
    const sizeAt = at + 6 + nameLength + (nameLength % 2);
    if (sizeAt + 4 > to) throw new BadFileError(DAMAGED);
    const size = (await src.read(sizeAt, 4)).readUInt32BE(0);
    const dataAt = sizeAt + 4;
    if (dataAt + size > to) throw new BadFileError(DAMAGED);
    yield { id: head.readUInt16BE(4), head, dataAt, size };
    at = Math.min(dataAt + size + (size % 2), to);
  }
}

/** A kept resource as it will be written: its block head (signature, id, empty name, size), its data (bytes, or a range of the file), padding. */
export interface KeptResource {
  head: Buffer;
  data: Buffer | [number, number];
  pad: boolean;
  length: number;
}

/**
 * The resource blocks of the section [from, to) that stay. Only the blocks' heads are read (and
 * the version block, which is rewritten): the data of kept blocks is copied from the file, that
 * of dropped ones never read, so a document with megabytes of XMP costs no memory for it.
 */
export async function keptResources(src: FileBytes, from: number, to: number, keepIcc: boolean): Promise<KeptResource[]> {
  const kept: KeptResource[] = [];
  for await (const { id, head, dataAt, size } of resourceBlocks(src, from, to)) {
    if (!(KEPT_RESOURCES.has(id) || isPath(id) || (keepIcc && id === ICC_PROFILE))) continue;
    if (kept.length === MAX_KEPT) throw new TooComplexError(`psd: more than ${MAX_KEPT} image resources to keep`);
    if (id === VERSION_INFO && size > MAX_VERSION_INFO) throw new BadFileError(DAMAGED);
    const data = id === VERSION_INFO ? withoutNames(Buffer.from(await src.read(dataAt, size))) : ([dataAt, dataAt + size] as [number, number]);
    const dataLength = Buffer.isBuffer(data) ? data.length : size;
    const blockHead = Buffer.alloc(12);
    head.copy(blockHead, 0, 0, 6);
    blockHead.writeUInt32BE(dataLength, 8);
    kept.push({ head: blockHead, data, pad: dataLength % 2 === 1, length: 12 + dataLength + (dataLength % 2) });
  }
  return kept;
}

/**
 * The version block (version, "has real merged data" flag, writer name, reader name, file
 * version; the names as a 32-bit count of UTF-16 units and the units) with both names empty.
 */
function withoutNames(data: Buffer): Buffer {
  const WRITER = 5;
  const writerUnits = data.length >= WRITER + 4 ? data.readUInt32BE(WRITER) : -1;
  const readerAt = WRITER + 4 + 2 * writerUnits;
  const readerUnits = writerUnits >= 0 && data.length >= readerAt + 4 ? data.readUInt32BE(readerAt) : -1;
  const fileVersionAt = readerAt + 4 + 2 * readerUnits;
  if (readerUnits < 0 || data.length < fileVersionAt + 4) throw new BadFileError(DAMAGED);
  return Buffer.concat([data.subarray(0, WRITER), Buffer.alloc(8), data.subarray(fileVersionAt)]);
}
