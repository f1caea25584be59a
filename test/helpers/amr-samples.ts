import fs from "node:fs/promises";

/**
 * Regroups the AMR sound track of a 3GP as older phones wrote it: several speech frames in each
 * sample (AMRSpecificBox's "frames per sample"), where ffmpeg's muxer writes one. For a file of
 * ffmpeg's layout: one sound track, `moov` after the media data (so no chunk offset moves),
 * 32-bit box sizes, one time-to-sample run, chunks holding a multiple of `n` samples.
 */
export async function groupAmrFrames(file: string, n: number): Promise<void> {
  const buf = await fs.readFile(file);
  const top = boxes(buf, 0, buf.length);
  const moov = top.find((b) => b.type === "moov");
  const mdat = top.find((b) => b.type === "mdat");
  if (moov == null || mdat == null || moov.at < mdat.at) throw new Error("expected moov after mdat");
  const rebuilt = rebuild(buf, moov, (type, body) => {
    if (type === "stsz") return stsz(body, n);
    if (type === "stts") return stts(body, n);
    if (type === "stsc") return stsc(body, n);
    return null;
  });
  // The frames per sample, the last byte of the AMR configuration box.
  const damr = rebuilt.indexOf("damr", 0, "latin1");
  if (damr < 0) throw new Error("no damr box");
  rebuilt[damr - 4 + rebuilt.readUInt32BE(damr - 4) - 1] = n;
  await fs.writeFile(file, Buffer.concat([buf.subarray(0, moov.at), rebuilt, buf.subarray(moov.at + moov.size)]));
}

interface Found {
  type: string;
  at: number;
  size: number;
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl"]);

function boxes(buf: Buffer, from: number, to: number): Found[] {
  const found: Found[] = [];
  for (let at = from; at + 8 <= to; ) {
    const size = buf.readUInt32BE(at);
    if (size < 8) throw new Error(`no 32-bit box size at ${at}`);
    found.push({ type: buf.toString("latin1", at + 4, at + 8), at, size });
    at += size;
  }
  return found;
}

/** The box again, its containers rebuilt, each other box's body replaced where `change` gives one. */
function rebuild(buf: Buffer, box: Found, change: (type: string, body: Buffer) => Buffer | null): Buffer {
  const body = CONTAINERS.has(box.type)
    ? Buffer.concat(boxes(buf, box.at + 8, box.at + box.size).map((b) => rebuild(buf, b, change)))
    : (change(box.type, buf.subarray(box.at + 8, box.at + box.size)) ?? buf.subarray(box.at + 8, box.at + box.size));
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(box.type, 4, "latin1");
  return Buffer.concat([head, body]);
}

function u32s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v, i * 4));
  return b;
}

function stsz(body: Buffer, n: number): Buffer {
  const fixed = body.readUInt32BE(4);
  const count = body.readUInt32BE(8);
  if (count % n !== 0) throw new Error(`${count} samples are not a multiple of ${n}`);
  const sizes = Array.from({ length: count }, (_, i) => (fixed !== 0 ? fixed : body.readUInt32BE(12 + i * 4)));
  const grouped = Array.from({ length: count / n }, (_, i) => sizes.slice(i * n, i * n + n).reduce((a, b) => a + b, 0));
  return Buffer.concat([u32s([0, 0, grouped.length]), u32s(grouped)]);
}

function stts(body: Buffer, n: number): Buffer {
  if (body.readUInt32BE(4) !== 1) throw new Error("expected one time-to-sample run");
  return u32s([0, 1, body.readUInt32BE(8) / n, body.readUInt32BE(12) * n]);
}

function stsc(body: Buffer, n: number): Buffer {
  const entries = body.readUInt32BE(4);
  const out = [0, entries];
  for (let i = 0; i < entries; i++) {
    const [first, perChunk, description] = [0, 4, 8].map((o) => body.readUInt32BE(8 + i * 12 + o)) as [number, number, number];
    if (perChunk % n !== 0) throw new Error(`a chunk of ${perChunk} samples`);
    out.push(first, perChunk / n, description);
  }
  return u32s(out);
}
