import crypto from "node:crypto";
import fs from "node:fs";
import { throwIfTaskStopped } from "../../isolation/worker-channel.js";
import { BadFileError } from "../errors.js";

// Excel's binary parts ([MS-XLSB] 2.1.4) are a plain run of records: a type of 1-2 bytes and a
// size of 1-4 bytes, each 7 bits a byte with the high bit saying another byte follows, then the
// payload. No library reads them as a stream and writes them back: SheetJS loads a whole
// workbook into its model and writes its own, which is not the file.

const DAMAGED = "The workbook's binary records are damaged.";

/**
 * The largest record read into memory. Excel's are small (a cell's string is at most 32,767
 * characters, ~64 kB); the size field could claim 256 MB.
 */
const MAX_RECORD = 16 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** What a rewrite does with one watched record: keep it, drop it, or write another payload. */
export type RecordEdit = "keep" | "drop" | Buffer;

export interface RecordRewrite {
  /** The record types handed to `edit`; every other record is copied as it is, unread. */
  watched: ReadonlySet<number>;
  edit: (type: number, payload: Buffer) => RecordEdit;
  /**
   * Where the part's grammar is known: the types of Excel 2007's numbering (below
   * FUTURE_RECORDS) it may hold. A record of another such type is damage: bytes read out of step
   * after a damaged length, which would carry the text they held through as records of no meaning.
   */
  classic?: ReadonlySet<number> | undefined;
}

/** Excel 2010 and later number their records from here on, in blocks older readers skip. */
export const FUTURE_RECORDS = 1024;

/** Encodes one record: its type and size as Excel writes them, then the payload. */
export function record(type: number, payload: Buffer): Buffer {
  const head: number[] = [];
  head.push(type & 0x7f | (type > 0x7f ? 0x80 : 0));
  if (type > 0x7f) head.push((type >> 7) & 0x7f);
  let size = payload.length;
  do {
    head.push((size & 0x7f) | (size > 0x7f ? 0x80 : 0));
    size >>>= 7;
  } while (size > 0);
  return Buffer.concat([Buffer.from(head), payload]);
}

/** An XLWideString ([MS-XLSB] 2.5.168): a 32-bit count of UTF-16 characters, then them. */
export function wideString(text: string): Buffer {
  const b = Buffer.alloc(4 + 2 * text.length);
  b.writeUInt32LE(text.length, 0);
  b.write(text, 4, "utf16le");
  return b;
}

interface Header {
  type: number;
  /** Offset of the payload. */
  body: number;
  /** Offset just past the record. */
  end: number;
}

/** The record starting at `at`, or null when `buf` holds only part of it. */
function header(buf: Buffer, at: number): Header | null {
  let pos = at;
  if (pos >= buf.length) return null;
  let type = buf[pos++]!;
  if (type & 0x80) {
    if (pos >= buf.length) return null;
    const high = buf[pos++]!;
    if (high & 0x80) throw new BadFileError(DAMAGED, new Error(`record type of more than two bytes at ${at}`));
    type = (type & 0x7f) | (high << 7);
  }
  let size = 0;
  for (let i = 0; ; i++) {
    if (pos >= buf.length) return null;
    const b = buf[pos++]!;
    size += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) break;
    if (i === 3) throw new BadFileError(DAMAGED, new Error(`record size of more than four bytes at ${at}`));
  }
  if (size > MAX_RECORD) throw new BadFileError(DAMAGED, new Error(`record of ${size} bytes at ${at}`));
  return { type, body: pos, end: pos + size };
}

/**
 * Walks a binary part's records from `input` in chunks, calling `visit` for each watched one and
 * `span` for each run of bytes between them (whole unwatched records, in order), then `chunkDone`
 * before the next chunk replaces the one the spans point into. Memory holds a chunk and the
 * record that crosses its end.
 */
async function walk(
  input: string,
  watched: ReadonlySet<number>,
  visit: (type: number, payload: Buffer) => void,
  span: (bytes: Buffer) => void,
  chunkDone?: () => Promise<void>,
  classic?: ReadonlySet<number>,
): Promise<void> {
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(input, { highWaterMark: CHUNK })) {
    throwIfTaskStopped();
    const buf = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
    let at = 0;
    let spanStart = 0;
    for (let h = header(buf, at); h != null && h.end <= buf.length; h = header(buf, at)) {
      if (classic != null && h.type < FUTURE_RECORDS && !classic.has(h.type)) throw new BadFileError(DAMAGED, new Error(`record of type ${h.type}, which this part does not hold`));
      if (watched.has(h.type)) {
        if (at > spanStart) span(buf.subarray(spanStart, at));
        visit(h.type, buf.subarray(h.body, h.end));
        spanStart = h.end;
      }
      at = h.end;
    }
    if (at > spanStart) span(buf.subarray(spanStart, at));
    await chunkDone?.();
    carry = Buffer.from(buf.subarray(at));
  }
  if (carry.length > 0) throw new BadFileError(DAMAGED, new Error(`the last record is cut short (${carry.length} bytes)`));
}

/**
 * Rewrites a binary part record by record into `output`: watched records as `edit` says, the rest
 * byte for byte. Gives a digest of the unwatched records, to compare with the copy's (contentDigest).
 */
export async function rewriteRecords(input: string, output: string, rewrite: RecordRewrite): Promise<string> {
  const out = fs.createWriteStream(output, { flags: "wx" });
  const digest = crypto.createHash("sha256");
  const pending: Buffer[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const data = Buffer.concat(pending);
    pending.length = 0;
    if (!out.write(data)) await new Promise<void>((resolve) => out.once("drain", resolve));
  };
  try {
    await walk(
      input,
      rewrite.watched,
      (type, payload) => {
        const edited = rewrite.edit(type, payload);
        if (edited === "keep") pending.push(record(type, payload));
        else if (edited !== "drop") pending.push(record(type, edited));
      },
      (bytes) => {
        digest.update(bytes);
        pending.push(bytes);
      },
      flush,
      rewrite.classic,
    );
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err != null ? reject(err) : resolve())));
  }
  return digest.digest("hex");
}

/** The digest of a binary part's records outside `watched`, read apart from any rewrite. */
export async function contentDigest(input: string, watched: ReadonlySet<number>): Promise<string> {
  const digest = crypto.createHash("sha256");
  await walk(input, watched, () => undefined, (bytes) => digest.update(bytes));
  return digest.digest("hex");
}

/** Counts the records of the given type in a binary part. */
export async function countRecords(input: string, type: number, visit?: (payload: Buffer) => void): Promise<number> {
  let n = 0;
  await walk(
    input,
    new Set([type]),
    (_type, payload) => {
      n++;
      visit?.(payload);
    },
    () => undefined,
  );
  return n;
}

/**
 * The whole records of a binary part held in memory (a bounded read of it, which may end within
 * a record: that one is left out).
 */
export function* recordsIn(buf: Buffer): Generator<{ type: number; payload: Buffer }> {
  for (let h = header(buf, 0); h != null && h.end <= buf.length; h = header(buf, h.end)) yield { type: h.type, payload: buf.subarray(h.body, h.end) };
}
