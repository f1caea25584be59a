import fs from "node:fs/promises";
import path from "node:path";
import { soffice } from "./make-legacy-office.js";
import { CONVERT, run } from "./tools.js";

/** Drawing records built by hand, to place data where EMF and WMF readers do not look ([MS-EMF], [MS-EMFPLUS], [MS-WMF]). */

/** The drawing as LibreOffice draws it (ImageMagick reads neither format), as a pixel signature; `dir` holds the work. */
export async function drawn(dir: string, name: string, bytes: Buffer): Promise<string> {
  const work = await fs.mkdtemp(path.join(dir, "draw-"));
  const file = path.join(work, name);
  await fs.writeFile(file, bytes);
  await soffice(work, ["--convert-to", "png", "--outdir", work, file]);
  return (await run(CONVERT, [path.join(work, `${path.parse(name).name}.png`), "-format", "%#", "info:"])).stdout.toString().trim();
}

/** An EMF record of `type` around `body`, padded to whole words. */
export function emfRecord(type: number, ...body: Buffer[]): Buffer {
  const data = Buffer.concat(body);
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(8 + padded.length, 4);
  return Buffer.concat([head, padded]);
}

export function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
}

/** An EMF+ record ([MS-EMFPLUS] 2.3): type, flags, size, data size, then the data and `padding`. */
export function emfPlusRecord(type: number, data: Buffer, padding: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(type, 0);
  head.writeUInt32LE(12 + data.length + padding.length, 4);
  head.writeUInt32LE(data.length, 8);
  return Buffer.concat([head, data, padding]);
}

/** `emf` with `records` before its end-of-file record (the last 20 bytes), its header's counts following. */
export function withEmfRecords(emf: Buffer, records: readonly Buffer[]): Buffer {
  const out = Buffer.concat([emf.subarray(0, emf.length - 20), ...records, emf.subarray(emf.length - 20)]);
  out.writeUInt32LE(out.length, 48);
  out.writeUInt32LE(out.readUInt32LE(52) + records.length, 52);
  return out;
}

/** `wmf` with `records` before its end-of-file record (the last 6 bytes), its header's size, largest record and object count following. */
export function withWmfRecords(wmf: Buffer, records: readonly Buffer[], objects: number): Buffer {
  const out = Buffer.concat([wmf.subarray(0, wmf.length - 6), ...records, wmf.subarray(wmf.length - 6)]);
  out.writeUInt32LE(out.length / 2, 6);
  out.writeUInt16LE(out.readUInt16LE(10) + objects, 10);
  out.writeUInt32LE(Math.max(out.readUInt32LE(12), ...records.map((r) => r.readUInt32LE(0))), 12);
  return out;
}

/** A WMF record of function `fn` with `params` (a whole number of words). */
export function wmfRecord(fn: number, params: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(3 + params.length / 2, 0);
  head.writeUInt16LE(fn, 4);
  return Buffer.concat([head, params]);
}

/** An EMF comment record of `parts`. */
export const emfComment = (...parts: Buffer[]): Buffer => emfRecord(70, words(Buffer.concat(parts).length), ...parts);

/** `bytes` padded with zeros to whole 32-bit words. */
export const padded = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);

