/**
 * Standard MIDI Files built by hand (SMF 1.0), byte by byte, so that a test knows where every
 * event is: a writer library (midi-file) would choose running status and event order itself.
 */

/** A chunk: its type and a 32-bit big-endian length, which may lie (`length`) to cut the file off. */
export function chunk(id: string, data: Buffer, length = data.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, "latin1");
  head.writeUInt32BE(length, 4);
  return Buffer.concat([head, data]);
}

/** An event: a one-byte delta time (under 128) and its bytes. */
export const ev = (delta: number, ...bytes: number[]): Buffer => Buffer.from([delta, ...bytes]);
/** A meta event holding `text` (under 128 bytes, so that its length is one byte). */
export const meta = (delta: number, type: number, text: string): Buffer => Buffer.concat([Buffer.from([delta, 0xff, type, text.length]), Buffer.from(text, "latin1")]);
export const endOfTrack = ev(0, 0xff, 0x2f, 0);

/** The header chunk, with `extra` bytes past its fields; format 1, `tracks` tracks, 96 ticks a beat. */
export function header(tracks: number, extra = Buffer.alloc(0)): Buffer {
  return chunk("MThd", Buffer.concat([Buffer.from([0, 1, 0, tracks, 0, 96]), extra]));
}

/**
 * A conductor track and a piano track, with every kind of metadata event among the music, each
 * holding `marker`, and the layouts a cleaner gets wrong: a lyric (kept), a text event between two
 * notes (its ticks move to the next), running status across a meta event.
 */
export function song(marker: string): Buffer {
  const conductor = Buffer.concat([
    meta(0, 0x03, `${marker} song`),
    meta(0, 0x02, `(c) 2024 ${marker}`),
    meta(0, 0x01, `Arranged by ${marker} with Sequencer 9`),
    ev(0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20),
    ev(0, 0xff, 0x58, 4, 4, 2, 24, 8),
    ev(0, 0xff, 0x59, 2, 0, 0),
    ev(0, 0xff, 0x54, 5, 0x60, 0, 0, 0, 0),
    meta(0, 0x7f, `\x00\x00\x41${marker}`),
    meta(48, 0x06, `${marker} verse`),
    meta(48, 0x07, `${marker} cue`),
    endOfTrack,
  ]);
  const piano = Buffer.concat([
    meta(0, 0x03, `${marker} piano`),
    meta(0, 0x04, `${marker} grand`),
    meta(0, 0x08, `${marker} patch`),
    meta(0, 0x09, `${marker} port A`),
    ev(0, 0xf0, 10, 0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7f, 0x00, 0x41, 0xf7),
    ev(0, 0xc0, 0),
    ev(0, 0x90, 60, 100),
    meta(30, 0x05, "la"),
    // A text event between two notes: its 20 ticks must move to the note after it.
    meta(20, 0x01, `${marker} between`),
    ev(46, 0x80, 60, 64),
    ev(0, 0x90, 64, 100),
    // Running status across a meta event, as many files have it.
    meta(10, 0x4b, `${marker} unknown`),
    ev(86, 64, 0),
    endOfTrack,
  ]);
  return Buffer.concat([chunk("MTrk", conductor), chunk("MTrk", piano)]);
}
