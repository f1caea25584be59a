import type { ReadBytes, RawTags } from "./read-task.js";

/** A chunk larger than this is named, not read. */
const MAX_READ = 1024 * 1024;
/** A file with more top-level chunks than this is not looked at further (a real one has about six). */
const MAX_CHUNKS = 4096;

/** Whether a file's first bytes are a DSDIFF form: "FRM8", a 64-bit size, "DSD ". */
export function isDsdiffHead(head: Buffer): boolean {
  return head.length >= 16 && head.toString("latin1", 0, 4) === "FRM8" && head.toString("latin1", 12, 16) === "DSD ";
}

/**
 * What a DSDIFF file (DSDIFF 1.5) says besides its sound, which ExifTool does not read: its
 * comments and their dates (`COMT`), the edited master information (`DIIN`: artist, title, the
 * master's id, markers' text), a maker's own chunk and an ID3 tag (named by their size).
 */
export async function readDsdiffTags(bytes: ReadBytes, size: number): Promise<RawTags> {
  const tags: Record<string, string[]> = {};
  const add = (name: string, value: string): void => {
    if (value.trim() !== "") (tags[name] ??= []).push(value.trim());
  };
  const end = Math.min(size, 12 + Number((await bytes(4, 8)).readBigUInt64BE(0)));
  for (const c of await chunks(bytes, 16, end)) {
    if (c.id === "COMT") comments(await bytes(c.at + 12, Math.min(c.size, MAX_READ)), add);
    else if (c.id === "DIIN") {
      for (const d of await chunks(bytes, c.at + 12, c.at + 12 + c.size)) {
        const data = await bytes(d.at + 12, Math.min(d.size, MAX_READ));
        if (d.id === "DIAR") add("Artist", counted(data, 0));
        else if (d.id === "DITI") add("Title", counted(data, 0));
        else if (d.id === "EMID") add("EditedMasterID", data.toString("latin1"));
        else if (d.id === "MARK" && data.length >= 22) add("MarkerText", counted(data, 18));
      }
    } else if (c.id === "MANF" || c.id === "ID3 ") add(c.id === "MANF" ? "ManufacturerData" : "ID3", `(Binary data ${c.size} bytes, use -b option to extract)`);
  }
  return Object.fromEntries(Object.entries(tags).map(([name, values]) => [`DFF:${name}`, values.join("; ")]));
}

interface Chunk {
  id: string;
  at: number;
  size: number;
}

/** The chunks in [at, end): a 4-byte id, a 64-bit big-endian size, the data, a pad byte to an even size. */
async function chunks(bytes: ReadBytes, at: number, end: number): Promise<Chunk[]> {
  const found: Chunk[] = [];
  while (at + 12 <= end && found.length < MAX_CHUNKS) {
    const h = await bytes(at, 12);
    if (h.length < 12) break;
    const size = Number(h.readBigUInt64BE(4));
    if (at + 12 + size > end) break;
    found.push({ id: h.toString("latin1", 0, 4), at, size });
    at += 12 + size + (size % 2);
  }
  return found;
}

/** A text preceded by its length (32 bits) at `at`. */
function counted(data: Buffer, at: number): string {
  if (data.length < at + 4) return "";
  const length = data.readUInt32BE(at);
  return data.toString("latin1", at + 4, Math.min(data.length, at + 4 + length));
}

/** The comments chunk: a count, then for each its date and time, kind, reference and counted text. */
function comments(data: Buffer, add: (name: string, value: string) => void): void {
  if (data.length < 2) return;
  let at = 2;
  for (let i = 0; i < data.readUInt16BE(0) && at + 14 <= data.length; i++) {
    const [year, month, day, hour, minute] = [data.readUInt16BE(at), data[at + 2]!, data[at + 3]!, data[at + 4]!, data[at + 5]!];
    if (year !== 0) add("CommentDate", `${year}:${pad(month)}:${pad(day)} ${pad(hour)}:${pad(minute)}`);
    const text = counted(data, at + 10);
    add("Comment", text);
    at += 14 + text.length + (text.length % 2);
  }
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
