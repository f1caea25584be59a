import { tagName } from "./tag-name.js";
import type { ReadBytes, RawTags } from "./read-task.js";

/** A chunk larger than this is named, not read. */
const MAX_READ = 1024 * 1024;
/** A file with more top-level chunks than this is not looked at further (a real one has about six). */
const MAX_CHUNKS = 4096;
/** A chunk's header: its type and its size, a signed 64-bit big-endian number not counting the header. */
export const CAF_CHUNK_HEADER = 12;
/** The file's header: "caff", the version (1) and flags (0). */
export const CAF_FILE_HEADER = 8;

/** Whether a file's first bytes are a Core Audio Format file: "caff", version 1, then its audio description chunk. */
export function isCafHead(head: Buffer): boolean {
  return head.length >= 12 && head.toString("latin1", 0, 4) === "caff" && head.readUInt16BE(4) === 1 && head.toString("latin1", 8, 12) === "desc";
}

/**
 * The names the service gives the `info` chunk's keys (Apple's list), as ExifTool names the same
 * facts in other formats, so that the findings see them; any other key is named after itself.
 */
const INFO_NAMES: Readonly<Record<string, string>> = {
  "recorded date": "RecordedDate",
  "encoding application": "Software",
  "source encoder": "Encoder",
  encoder: "Encoder",
  comments: "Comment",
};

/** Chunks that say how to play the sound, or are the sound: not metadata, not listed. */
const SOUND_CHUNKS = new Set(["desc", "data", "pakt", "kuki", "chan"]);

/**
 * What a Core Audio Format file (.caf: Apple's GarageBand, Logic, afconvert, iOS recorders) says
 * besides its sound, which ExifTool does not read: the `info` chunk's keys and values (artist,
 * title, recorded date, the encoding application, comments...), the edit comments (`edct`, each
 * with its time), the strings markers and regions are named by (`strg`), the SMPTE unique
 * material identifier (`umid`, which holds when and where a recording was made), and every other
 * chunk that is not the sound (a maker's `uuid` chunk, an overview, peaks, an instrument), named
 * by its size.
 */
export async function readCafTags(bytes: ReadBytes, size: number): Promise<RawTags> {
  const tags: Record<string, string[]> = {};
  const add = (name: string, value: string): void => {
    if (value.trim() !== "") (tags[name] ??= []).push(value.trim());
  };
  for (const c of await cafChunks(bytes, size)) {
    if (SOUND_CHUNKS.has(c.id)) continue;
    const data = c.id === "info" || c.id === "edct" || c.id === "strg" || c.id === "umid" ? await bytes(c.at + CAF_CHUNK_HEADER, Math.min(c.size, MAX_READ)) : null;
    if (c.id === "info" && data != null) info(data, add);
    else if (c.id === "edct" && data != null) editComments(data, add);
    else if (c.id === "strg" && data != null) strings(data, add);
    else if (c.id === "umid" && data != null) add("UMID", data.toString("hex"));
    else add(`${tagName(c.id)}Chunk`, `(Binary data ${c.size} bytes, use -b option to extract)`);
  }
  return Object.fromEntries(Object.entries(tags).map(([name, values]) => [`CAF:${name}`, values.join("; ")]));
}

export interface CafChunk {
  id: string;
  at: number;
  /** The size its header gives, or what is left of the file for a sound chunk whose size is -1 (unknown: it runs to the end). */
  size: number;
}

/** The top-level chunks, as far as they are whole. */
export async function cafChunks(bytes: ReadBytes, size: number): Promise<CafChunk[]> {
  const found: CafChunk[] = [];
  for (let at = CAF_FILE_HEADER; at + CAF_CHUNK_HEADER <= size && found.length < MAX_CHUNKS; ) {
    const h = await bytes(at, CAF_CHUNK_HEADER);
    if (h.length < CAF_CHUNK_HEADER) break;
    const id = h.toString("latin1", 0, 4);
    const declared = h.readBigInt64BE(4);
    const length = declared === -1n && id === "data" ? size - at - CAF_CHUNK_HEADER : Number(declared);
    if (length < 0 || at + CAF_CHUNK_HEADER + length > size) break;
    found.push({ id, at, size: length });
    at += CAF_CHUNK_HEADER + length;
  }
  return found;
}

/** A key as a tag name: its words capitalised and joined ("key signature": KeySignature). */
function keyName(key: string): string {
  const known = INFO_NAMES[key.toLowerCase()];
  if (known != null) return known;
  const name = key
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
  return name === "" ? "Info" : name;
}

/** The information chunk: a count, then that many keys and values, each text ending with a NUL. */
function info(data: Buffer, add: (name: string, value: string) => void): void {
  if (data.length < 4) return;
  let at = 4;
  for (let i = 0; i < data.readUInt32BE(0) && at < data.length; i++) {
    const key = nulText(data, at);
    at += key.length + 1;
    const value = nulText(data, at);
    at += value.length + 1;
    add(keyName(key.toString("utf8")), value.toString("utf8"));
  }
}

/** The edit comments chunk: a count, then for each a time stamp (64 bits), a key and a value. */
function editComments(data: Buffer, add: (name: string, value: string) => void): void {
  if (data.length < 4) return;
  let at = 4;
  for (let i = 0; i < data.readUInt32BE(0) && at + 8 < data.length; i++) {
    at += 8;
    const key = nulText(data, at);
    at += key.length + 1;
    const value = nulText(data, at);
    at += value.length + 1;
    add("EditComment", `${key.toString("utf8")}: ${value.toString("utf8")}`);
  }
}

/** The strings chunk: a count, then for each an id and an offset into the text that follows, where it ends with a NUL. */
function strings(data: Buffer, add: (name: string, value: string) => void): void {
  if (data.length < 4) return;
  const count = data.readUInt32BE(0);
  const text = 4 + 12 * count;
  if (text > data.length) return;
  for (let i = 0; i < count; i++) {
    const offset = Number(data.readBigInt64BE(4 + 12 * i + 4));
    if (offset >= 0 && text + offset < data.length) add("String", nulText(data, text + offset).toString("utf8"));
  }
}

/** The bytes from `at` to the next NUL, or to the end. */
function nulText(data: Buffer, at: number): Buffer {
  const end = data.indexOf(0, at);
  return data.subarray(at, end < 0 ? data.length : end);
}
