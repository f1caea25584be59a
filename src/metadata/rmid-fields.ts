import { isMidiHead, MIDI_HEADER } from "../cleaners/media/midi-events.js";
import { readMidiTags } from "./midi-fields.js";
import { tagName } from "./tag-name.js";
import type { RawTags, ReadBytes } from "./read-task.js";

/** The type named for RIFF MIDI files, which ExifTool calls RIFF. */
export const RMID = "RMID";

/** "RIFF", the form's size (32 bits, little-endian), "RMID". */
export const RMID_HEADER = 12;
/** A chunk's header: its type and its size, 32 bits little-endian, not counting the pad byte an odd size is followed by. */
export const RIFF_CHUNK_HEADER = 8;
/** A file with more chunks than this is not looked at further (a real one has two or three). */
const MAX_CHUNKS = 4096;

/** Whether a file's first bytes are a RIFF MIDI file (.rmi): a RIFF form of type "RMID". */
export function isRmidHead(head: Buffer): boolean {
  return head.length >= RMID_HEADER && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "RMID";
}

export interface RiffChunk {
  id: string;
  /** Where its data starts, and its size as its header gives it. */
  at: number;
  size: number;
  /** The form type of a LIST or RIFF chunk ("INFO", "DLS "), else "". */
  form: string;
}

/** The form's chunks, as far as they are whole. */
export async function rmidChunks(bytes: ReadBytes, size: number): Promise<RiffChunk[]> {
  const found: RiffChunk[] = [];
  for (let at = RMID_HEADER; at + RIFF_CHUNK_HEADER <= size && found.length < MAX_CHUNKS; ) {
    const h = await bytes(at, RIFF_CHUNK_HEADER + 4);
    const id = h.toString("latin1", 0, 4);
    const length = h.readUInt32LE(4);
    if (at + RIFF_CHUNK_HEADER + length > size) break;
    const form = (id === "LIST" || id === "RIFF") && h.length >= 12 ? h.toString("latin1", 8, 12) : "";
    found.push({ id, at: at + RIFF_CHUNK_HEADER, size: length, form });
    at += RIFF_CHUNK_HEADER + length + (length % 2);
  }
  return found;
}

/**
 * What a RIFF MIDI file (.rmi, Microsoft's wrapper of a Standard MIDI File) says besides what
 * ExifTool reads of it (its INFO list: title, copyright, software): the metadata events of the
 * MIDI file in its `data` chunk (midi-fields.ts), and every other chunk (a DISP chunk's title or
 * picture, embedded DLS instruments) named by its size.
 */
export async function readRmidTags(bytes: ReadBytes, size: number): Promise<RawTags> {
  const tags: RawTags = {};
  for (const c of await rmidChunks(bytes, size)) {
    if (c.id === "data" && isMidiHead(await bytes(c.at, Math.min(c.size, MIDI_HEADER)))) Object.assign(tags, await readMidiTags((at, length) => bytes(c.at + at, Math.max(0, Math.min(length, c.size - at))), c.size));
    else if (!(c.id === "LIST" && c.form === "INFO")) tags[`RIFF:${tagName(c.form || c.id)}Chunk`] = `(Binary data ${c.size} bytes, use -b option to extract)`;
  }
  return tags;
}
