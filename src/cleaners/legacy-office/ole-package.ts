/**
 * Object Packager's native data (undocumented; as every reader takes it), the content of an
 * `\x01Ole10Native` stream after its 4-byte size and of an RTF `Package` object: a 2-byte
 * signature (2), the label and the original path (ANSI, NUL-ended), 4 bytes, the temporary path
 * (its length first), the file's size and bytes. The paths name the folder the file came from,
 * often with the user's name in it.
 */
export interface PackagedFile {
  label: string;
  /** Where the file was packaged from, and the copy the packager made of it. */
  paths: string[];
  /** Where the file's bytes lie in the native data. */
  at: number;
  length: number;
}

/**
 * The native data of an `\x01Ole10Native` stream: what follows its 4-byte size, as far as the
 * size says and the stream goes.
 */
export function oleNativeData(stream: Buffer): Buffer {
  const size = stream.length >= 4 ? stream.readUInt32LE(0) : 0;
  return stream.subarray(4, 4 + Math.min(size, Math.max(0, stream.length - 4)));
}

/**
 * Whether native data is a BMP file, as Paintbrush ("PBrush") objects hold their picture: a
 * screenshot or drawing pasted from Paint into a Word, Excel or PowerPoint 97-2003 document.
 */
export function isBitmapFile(native: Buffer): boolean {
  return native.length >= 30 && native.toString("latin1", 0, 2) === "BM";
}

/** The packaged file, or null for data of another shape (an OLE 1 object's own). */
export function parsePackage(native: Buffer): PackagedFile | null {
  let at = 2;
  const cString = (): string | null => {
    const end = native.indexOf(0, at);
    if (end < 0) return null;
    const s = native.toString("latin1", at, end);
    at = end + 1;
    return s;
  };
  const u32 = (): number | null => {
    if (at + 4 > native.length) return null;
    at += 4;
    return native.readUInt32LE(at - 4);
  };
  const label = native.length >= 2 && native.readUInt16LE(0) === 2 ? cString() : null;
  const source = label == null ? null : cString();
  if (label == null || source == null || u32() == null) return null;
  const tempLength = u32();
  if (tempLength == null || at + tempLength > native.length) return null;
  const temp = native.toString("latin1", at, at + tempLength).replace(/\0+$/, "");
  at += tempLength;
  const length = u32();
  if (length == null || at + length > native.length) return null;
  return { label, paths: [source, temp].filter((p) => p !== ""), at, length };
}

/** Packager data for `data` whose label, original and temporary paths are all its bare name (no folder). */
export function packageData(label: string, data: Buffer): Buffer {
  const name = Buffer.from(`${label.replace(/^.*[\\/]/, "")}\0`, "latin1");
  return Buffer.concat([Buffer.from([2, 0]), name, name, Buffer.from([0, 0, 3, 0]), u32le(name.length), name, u32le(data.length), data]);
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
