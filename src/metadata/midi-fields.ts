import { META, META_NAMES, MIDI_CHUNK_HEADER, MidiTrackError, isKaraokeTrack, isMetadataEvent, midiEvents, type TrackRole, trackRole } from "../cleaners/media/midi-events.js";
import { tagName } from "./tag-name.js";
import type { ReadBytes, RawTags } from "./read-task.js";

/** A track larger than this is read as far as this. */
const MAX_READ = 16 * 1024 * 1024;
/** A file with more chunks than this is not looked at further (a track per instrument: rarely over a hundred). */
const MAX_CHUNKS = 65536;
/** Different values listed per name (a file can put a text event on every beat). */
const MAX_VALUES = 200;

/**
 * What a Standard MIDI File (.mid, .midi, .kar) says besides its music, which ExifTool does not
 * read: its meta events of text (a copyright notice, track and instrument names, markers, cue
 * points, the program and device names, free text: who arranged it, with what software), the
 * sequencer-specific events a program keeps its own data in, meta events of no known type, bytes
 * a header chunk holds past its fields and chunks other than tracks (a Yamaha XF file's
 * information), each named by what it is. The words sung (lyric events, and the words of a Soft
 * Karaoke file) are the music's, not listed.
 */
export async function readMidiTags(bytes: ReadBytes, size: number): Promise<RawTags> {
  const tags = new Map<string, Set<string>>();
  const add = (name: string, value: string): void => {
    const values = tags.get(name) ?? new Set<string>();
    tags.set(name, values);
    if (value.trim() !== "" && values.size < MAX_VALUES) values.add(value.trim());
  };
  const headerLength = (await bytes(4, 4)).readUInt32BE(0);
  if (headerLength > 6) add("HeaderData", `(Binary data ${headerLength - 6} bytes, use -b option to extract)`);
  let karaoke: boolean | null = null;
  for (let at = MIDI_CHUNK_HEADER + headerLength, count = 0; at + MIDI_CHUNK_HEADER <= size && count < MAX_CHUNKS; count++) {
    const h = await bytes(at, MIDI_CHUNK_HEADER);
    const id = h.toString("latin1", 0, 4);
    const length = h.readUInt32BE(4);
    if (id !== "MTrk") add(`${tagName(id)}Chunk`, `(Binary data ${Math.min(length, size - at - MIDI_CHUNK_HEADER)} bytes, use -b option to extract)`);
    else {
      const track = await bytes(at + MIDI_CHUNK_HEADER, Math.min(length, MAX_READ));
      karaoke ??= isKaraokeTrack(track);
      trackTags(track, trackRole(track, karaoke), add);
    }
    at += MIDI_CHUNK_HEADER + length;
  }
  return Object.fromEntries([...tags].filter(([, values]) => values.size > 0).map(([name, values]) => [`MIDI:${name}`, [...values].join("; ")]));
}

/** The metadata events of one track, as far as they can be read. */
function trackTags(track: Buffer, role: TrackRole, add: (name: string, value: string) => void): void {
  try {
    for (const e of midiEvents(track)) {
      if (!isMetadataEvent(track, e, role)) continue;
      const name = e.status === META ? (META_NAMES[e.metaType] ?? `MetaEvent${e.metaType.toString(16).padStart(2, "0")}`) : "Event";
      const binary = e.metaType === 0x7f || META_NAMES[e.metaType] == null;
      add(name, binary ? `(Binary data ${e.end - e.data} bytes, use -b option to extract)` : track.toString("latin1", e.data, e.end));
    }
  } catch (err) {
    if (!(err instanceof MidiTrackError)) throw err;
  }
}

