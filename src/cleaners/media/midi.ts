import crypto from "node:crypto";
import { BadFileError, TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { MIDI_CHUNK_HEADER, MIDI_HEADER, type MidiEvent, MidiTrackError, isKaraokeTrack, isMetadataEvent, isMidiHead, midiEvents, type TrackRole, trackRole, vlq } from "./midi-events.js";
import { isMediaStructural } from "./structural.js";

/** A track is read whole: one larger than this (hours of dense music are a few megabytes) is too complex. */
const MAX_TRACK = 64 * 1024 * 1024;
/** Chunks walked: a track per instrument, rarely over a hundred; the header allows 65,535. */
const MAX_CHUNKS = 65536;

/** The longest delta time a track can say: four bytes of seven bits. */
const MAX_DELTA = 0x0fffffff;

const damaged = (why: string): BadFileError => new BadFileError(`The MIDI file is damaged: ${why}.`);

/**
 * Standard MIDI Files (.mid, .midi, and Soft Karaoke's .kar), which ExifTool does not read. The
 * copy is the header chunk cut to its fields and every track with its metadata events left out
 * (`midi-events.ts`: text, copyright, track and instrument names, markers, cue points, program and
 * device names, sequencer-specific data, meta events of no known type); every other event is
 * copied byte for byte, and the delta time of an event left out is added to the next one's, so
 * that every note plays at the tick it did. Chunks other than tracks go, and so do bytes after the
 * last whole chunk. Then the copy's tracks are read again: the music (every event kept, at its
 * tick, in order) must be the same.
 */
export const midiCleaner: Cleaner = {
  name: "midi",
  fileTypes: ["MIDI"],

  async clean(ctx: CleanContext): Promise<void> {
    const music = await RangeWriter.rewrite(ctx.input, ctx.output, "wx", (src, out) => writeCleanMidi(src, out, 0, src.size));
    ctx.outputFinal();
    await checkMusic(ctx.output, music, async (copy) => ({ start: 0, end: copy.size }));
  },

  isStructural: isMediaStructural,
};

/**
 * Writes the Standard MIDI File at [start, end) of `src` cleaned: its header chunk cut to its
 * fields, its tracks without their metadata events, nothing else. Resolves to its music's digest.
 */
export async function writeCleanMidi(src: FileBytes, out: RangeWriter, start: number, end: number): Promise<string> {
  const head = Buffer.from(await src.read(start, MIDI_HEADER));
  if (!isMidiHead(head)) throw damaged("it does not start with a header chunk");
  const headerLength = head.readUInt32BE(4);
  head.writeUInt32BE(6, 4);
  out.bytes(head);
  return forEachTrack(src, start + MIDI_CHUNK_HEADER + headerLength, end, (track, role) => {
    const cleaned = cleanTrack(track, role);
    const chunk = Buffer.alloc(MIDI_CHUNK_HEADER);
    chunk.write("MTrk", 0, "latin1");
    chunk.writeUInt32BE(cleaned.length, 4);
    out.bytes(chunk);
    out.bytes(cleaned);
    return out.full ? out.flush() : undefined;
  });
}

/** Refuses the copy written to `file` unless the MIDI file `where` finds in it holds `music` (`writeCleanMidi`'s digest). */
export async function checkMusic(file: string, music: string, where: (copy: FileBytes) => Promise<{ start: number; end: number }>): Promise<void> {
  const copy = await FileBytes.open(file);
  try {
    const { start, end } = await where(copy);
    if ((await forEachTrack(copy, start + MIDI_HEADER, end, () => undefined)) !== music) {
      throw new BadFileError("The file could not be cleaned without changing its content; it may be damaged.", new Error("midi: the copy's music differs"));
    }
  } finally {
    await copy.close();
  }
}

/**
 * Calls `visit` with every track chunk's bytes from `at` to `end`, chunks of other types stepped
 * over; resolves to a digest of the music they hold (`musicOf`).
 */
async function forEachTrack(src: FileBytes, at: number, end: number, visit: (track: Buffer, role: TrackRole) => Promise<void> | undefined): Promise<string> {
  const music = crypto.createHash("sha256");
  let karaoke: boolean | null = null;
  let tracks = 0;
  for (let count = 0; at + MIDI_CHUNK_HEADER <= end; count++) {
    if (count === MAX_CHUNKS) throw new TooComplexError(`a MIDI file of more than ${MAX_CHUNKS} chunks`);
    const h = await src.read(at, MIDI_CHUNK_HEADER);
    const length = h.readUInt32BE(4);
    const isTrack = h.toString("latin1", 0, 4) === "MTrk";
    if (at + MIDI_CHUNK_HEADER + length > end) {
      if (isTrack) throw damaged("a track runs past the end of the file");
      break;
    }
    if (isTrack) {
      if (length > MAX_TRACK) throw new TooComplexError(`a MIDI track of ${length} bytes`);
      const track = await src.read(at + MIDI_CHUNK_HEADER, length);
      karaoke ??= isKaraokeTrack(track);
      const role = trackRole(track, karaoke);
      musicOf(track, role, music);
      await visit(track, role);
      tracks++;
    }
    at += MIDI_CHUNK_HEADER + length;
  }
  if (tracks === 0) throw damaged("it holds no track");
  return music.digest("base64");
}

/** Adds a track's music to `hash`: every event that is not metadata, with the tick it falls on and the status in effect. */
function musicOf(track: Buffer, role: TrackRole, hash: crypto.Hash): void {
  let tick = 0;
  hash.update("track");
  for (const e of readable(track)) {
    tick += e.delta;
    if (isMetadataEvent(track, e, role)) continue;
    hash.update(`${tick}:${e.status}:`);
    hash.update(track.subarray(e.data, e.end));
  }
}

/**
 * The track's bytes with its metadata events left out, their delta times carried to the next event
 * kept. Written into one buffer of the track's length, not a list of pieces (a track of millions
 * of events would be millions of objects): the copy is never longer, as an event left out (four
 * bytes at least) gives up more than its delta time can add to the next one's (three bytes at most).
 */
function cleanTrack(track: Buffer, role: TrackRole): Buffer {
  const out = Buffer.allocUnsafe(track.length);
  let length = 0;
  let carried = 0;
  for (const e of readable(track)) {
    if (isMetadataEvent(track, e, role)) {
      carried += e.delta;
      continue;
    }
    if (e.delta + carried > MAX_DELTA) throw new TooComplexError("a MIDI event whose delta time, with those of the events left out before it, is longer than a track can say");
    length += vlq(e.delta + carried).copy(out, length);
    length += track.copy(out, length, e.body, e.end);
    carried = 0;
  }
  return out.subarray(0, length);
}

/** The track's events, a track that cannot be read refused as damaged. */
function* readable(track: Buffer): Generator<MidiEvent> {
  try {
    yield* midiEvents(track);
  } catch (err) {
    if (err instanceof MidiTrackError) throw damaged(err.message);
    throw err;
  }
}
