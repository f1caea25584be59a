import type { ReadBytes, RawTags } from "./read-task.js";

/** The fixed header: magic, data offset, data size, encoding, sample rate, channels (32 bits each, big-endian). */
export const AU_HEADER = 24;
/** The data size a writer that did not know it (a stream) gives. */
export const AU_UNKNOWN_SIZE = 0xffffffff;
/** An annotation larger than this is named, not read. */
const MAX_READ = 1024 * 1024;
/** The highest encoding number Sun's and NeXT's lists give. */
const MAX_ENCODING = 27;

export interface AuHeader {
  dataOffset: number;
  dataSize: number;
}

/**
 * The header of a Sun/NeXT audio file (.au, .snd) when a file's first bytes are one: ".snd", a
 * data offset past the fixed header, an encoding of the known list and at least one channel.
 */
export function auHeaderOf(head: Buffer): AuHeader | null {
  if (head.length < AU_HEADER || head.toString("latin1", 0, 4) !== ".snd") return null;
  const [dataOffset, dataSize, encoding, channels] = [head.readUInt32BE(4), head.readUInt32BE(8), head.readUInt32BE(12), head.readUInt32BE(20)];
  if (dataOffset < AU_HEADER || encoding < 1 || encoding > MAX_ENCODING || channels < 1) return null;
  return { dataOffset, dataSize };
}

/**
 * What a Sun/NeXT audio file says besides its sound, which ExifTool does not read: the annotation
 * between its header and its samples, free text a writer fills as it likes (ffmpeg puts the
 * title, artist and comment there, "title=...; artist=..."; Sun's tools a note or a file name),
 * and bytes after the samples the header counts.
 */
export async function readAuTags(bytes: ReadBytes, size: number): Promise<RawTags> {
  const header = auHeaderOf(await bytes(0, AU_HEADER));
  if (header == null) return {};
  const tags: Record<string, string> = {};
  const length = Math.min(header.dataOffset, size) - AU_HEADER;
  const annotation = await bytes(AU_HEADER, Math.min(length, MAX_READ));
  const textEnd = annotation.indexOf(0);
  const text = annotation.toString("latin1", 0, textEnd < 0 ? annotation.length : textEnd).trim();
  if (text !== "") tags["AU:Annotation"] = text;
  const rest = textEnd < 0 ? Buffer.alloc(0) : annotation.subarray(textEnd);
  if (length > MAX_READ || rest.some((b) => b !== 0)) tags["AU:AnnotationData"] = `(Binary data ${length} bytes, use -b option to extract)`;
  const dataEnd = header.dataOffset + header.dataSize;
  if (header.dataSize !== AU_UNKNOWN_SIZE && dataEnd < size) tags["AU:TrailingData"] = `(Binary data ${size - dataEnd} bytes, use -b option to extract)`;
  return tags;
}
