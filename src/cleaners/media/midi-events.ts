/**
 * The events of a Standard MIDI File's track (MIDI Manufacturers Association, SMF 1.0), walked
 * by hand: the cleaner copies every event it keeps byte for byte and a library (midi-file) reads
 * a whole file into objects and writes every event anew.
 *
 * A track is a run of events, each a delta time (a variable-length number) and then a channel
 * message (its status byte, or none under running status, then one or two data bytes), a system
 * exclusive message (F0 or F7, a length, the bytes) or a meta event (FF, its type, a length, the
 * bytes).
 */

export const META = 0xff;

/**
 * Meta events that say how to play the music, or are part of it, with the length each has (null:
 * any): kept, not reported. One of another length is not what its type says, and goes as
 * metadata: a sequence number of 14 bytes is text.
 */
const PLAYED_META: ReadonlyMap<number, readonly number[] | null> = new Map([
  [0x00, [0, 2]], // sequence number
  [0x05, null], // lyric: the words sung, as a subtitle's dialogue
  [0x20, [1]], // channel prefix
  [0x21, [1]], // port
  [0x2f, [0]], // end of track
  [0x51, [3]], // tempo
  [0x54, [5]], // SMPTE offset (where the music starts on a time code)
  [0x58, [4]], // time signature
  [0x59, [2]], // key signature
]);

function isPlayedMeta(e: MidiEvent): boolean {
  const lengths = PLAYED_META.get(e.metaType);
  return lengths === null || (lengths !== undefined && lengths.includes(e.end - e.data));
}

/** What meta events of these types hold, as the report names it. */
export const META_NAMES: Readonly<Record<number, string>> = {
  0x01: "Text",
  0x02: "Copyright",
  0x03: "TrackName",
  0x04: "InstrumentName",
  0x06: "Marker",
  0x07: "CuePoint",
  0x08: "ProgramName",
  0x09: "DeviceName",
  0x7f: "SequencerSpecific",
};

/** What a Soft Karaoke file (.kar) says it is, in a text event of its first track. */
const KARAOKE_SIGNATURE = "@KMIDI KARAOKE FILE";

export class MidiTrackError extends Error {}

/** A header chunk's bytes: "MThd", its length (6 or more), the format, the number of tracks, the division. */
export const MIDI_HEADER = 14;
/** A chunk's header: its type and its length, 32 bits big-endian. */
export const MIDI_CHUNK_HEADER = 8;

/** Whether a file's first bytes are a Standard MIDI File's header chunk. */
export function isMidiHead(head: Buffer): boolean {
  return head.length >= MIDI_HEADER && head.toString("latin1", 0, 4) === "MThd" && head.readUInt32BE(4) >= 6;
}

export interface MidiEvent {
  /** Its delta time, in ticks after the event before it. */
  delta: number;
  /** Where its message starts (after the delta time) and ends, in the track's bytes. */
  body: number;
  end: number;
  /** FF for a meta event, F0 or F7 for a system exclusive one, else the channel message's status (the one in effect). */
  status: number;
  /** A meta event's type. */
  metaType: number;
  /** Where a meta or system exclusive event's data starts. */
  data: number;
}

/** The longest variable-length number: four bytes, 28 bits. */
const MAX_VLQ_BYTES = 4;

function readVlq(track: Buffer, at: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < MAX_VLQ_BYTES; i++) {
    const byte = track[at + i];
    if (byte == null) throw new MidiTrackError("an event is cut off by the end of its track");
    value = (value << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 };
  }
  throw new MidiTrackError("a number is longer than four bytes");
}

/** A variable-length number as a track writes it. */
export function vlq(value: number): Buffer {
  const bytes = [value & 0x7f];
  for (let v = value >>> 7; v > 0; v >>>= 7) bytes.unshift((v & 0x7f) | 0x80);
  return Buffer.from(bytes);
}

/** How many data bytes a channel message of this status has. */
function channelDataBytes(status: number): number {
  const kind = status >> 4;
  return kind === 0xc || kind === 0xd ? 1 : 2;
}

/** The events of a track's bytes, in order; throws MidiTrackError where they cannot be read. */
export function* midiEvents(track: Buffer): Generator<MidiEvent> {
  let running = 0;
  for (let at = 0; at < track.length; ) {
    const { value: delta, next: body } = readVlq(track, at);
    const first = track[body];
    if (first == null) throw new MidiTrackError("an event is cut off by the end of its track");
    let event: MidiEvent;
    if (first === META || first === 0xf0 || first === 0xf7) {
      const metaType = first === META ? track[body + 1] : 0;
      if (metaType == null) throw new MidiTrackError("an event is cut off by the end of its track");
      const { value: length, next: data } = readVlq(track, body + (first === META ? 2 : 1));
      // The standard says these cancel running status; files that use it across them anyway
      // play in every player, so they are read as players read them.
      event = { delta, body, end: data + length, status: first, metaType, data };
    } else {
      const explicit = first >= 0x80;
      if (explicit) {
        if (first >= 0xf0) throw new MidiTrackError(`a system message (${first.toString(16)}) has no place in a file`);
        running = first;
      } else if (running === 0) {
        throw new MidiTrackError("a data byte comes with no status in effect");
      }
      const data = body + (explicit ? 1 : 0);
      event = { delta, body, end: data + channelDataBytes(running), status: running, metaType: 0, data };
    }
    if (event.end > track.length) throw new MidiTrackError("an event is cut off by the end of its track");
    yield event;
    at = event.end;
  }
}

/** The name of a Soft Karaoke file's track of the words sung. */
const WORDS = "Words";

/**
 * What a track is to the metadata walk: one of a plain file, or of a Soft Karaoke file (.kar,
 * told by its signature in the first track): its track of the words sung (named "Words") or
 * another.
 */
export type TrackRole = "plain" | "karaoke" | "words";

/** A track's role, given whether the file's first track carries the Soft Karaoke signature. */
export function trackRole(track: Buffer, karaokeFile: boolean): TrackRole {
  if (!karaokeFile) return "plain";
  return holdsText(track, 0x03, WORDS) ? "words" : "karaoke";
}

/** Whether a track (a file's first) holds the Soft Karaoke signature. */
export function isKaraokeTrack(track: Buffer): boolean {
  return holdsText(track, 0x01, KARAOKE_SIGNATURE);
}

/** Whether a track holds a meta event of this type and text. */
function holdsText(track: Buffer, type: number, text: string): boolean {
  if (!track.includes(text, 0, "latin1")) return false;
  try {
    for (const e of midiEvents(track)) if (isText(track, e, type, text)) return true;
  } catch (err) {
    if (!(err instanceof MidiTrackError)) throw err;
  }
  return false;
}

function isText(track: Buffer, e: MidiEvent, type: number, text: string): boolean {
  return e.status === META && e.metaType === type && e.end - e.data === text.length && track.toString("latin1", e.data, e.end) === text;
}

/**
 * Whether an event is metadata, not music: a meta event of any type but those that say how to
 * play (`PLAYED_META`). A Soft Karaoke file's words track keeps its text events that do not start
 * with "@": each is a syllable of the words sung, shown as the music plays, as lyric events are.
 * Its signature and the name of its words track stay too, by which players (and this walk of the
 * copy) know the file and the track for what they are. Its other "@" events (the title, the
 * singer, the language, the maker's notes) go, as every other text does.
 */
export function isMetadataEvent(track: Buffer, e: MidiEvent, role: TrackRole): boolean {
  if (e.status !== META || isPlayedMeta(e)) return false;
  if (role === "plain") return true;
  if (isText(track, e, 0x01, KARAOKE_SIGNATURE) || isText(track, e, 0x03, WORDS)) return false;
  return !(role === "words" && e.metaType === 0x01 && e.end > e.data && track[e.data] !== 0x40);
}
