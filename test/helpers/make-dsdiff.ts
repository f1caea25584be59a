/**
 * DSDIFF files (Philips' DSDIFF 1.5) built by hand: no tool at hand writes one with its metadata
 * chunks, and ffmpeg, which reads them, writes none at all.
 */

/** A chunk: id, 64-bit big-endian size, data, a pad byte to an even size. */
export function chunk(id: string, ...data: Buffer[]): Buffer {
  const body = Buffer.concat(data);
  const head = Buffer.alloc(12);
  head.write(id, 0, "latin1");
  head.writeBigUInt64BE(BigInt(body.length), 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function counted(text: string): Buffer {
  return Buffer.concat([u32(text.length), Buffer.from(text, "latin1")]);
}

/** The format version chunk, which must come first. */
export const VERSION = chunk("FVER", u32(0x01050000));

/** The form around `chunks`: "FRM8", its size, "DSD ". */
export function form(chunks: readonly Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from("DSD ", "latin1"), ...chunks]);
  const head = Buffer.alloc(12);
  head.write("FRM8", 0, "latin1");
  head.writeBigUInt64BE(BigInt(body.length), 4);
  return Buffer.concat([head, body]);
}

/**
 * Stereo DSD64 properties, with an absolute start time (a time of day, kept zeroed) and a property
 * of no known kind holding the marker (a property a cleaner must not keep for being in there).
 */
export function properties(compression: "DSD " | "DST ", marker: string): Buffer {
  const name = compression === "DSD " ? "not compressed" : "DST Encoded";
  return chunk(
    "PROP", Buffer.from("SND ", "latin1"),
    chunk("FS  ", u32(2822400)),
    chunk("CHNL", u16(2), Buffer.from("SLFTSRGT", "latin1")),
    chunk("CMPR", Buffer.from(compression, "latin1"), Buffer.from([name.length]), Buffer.from(name, "latin1")),
    chunk("ABSS", u16(14), Buffer.from([25, 36]), u32(1234)),
    chunk("XTRA", Buffer.from(`${marker} property`, "latin1")),
  );
}

/** What goes around the sound: dated comments, the edited master information, a maker's chunk, an ID3 tag, a chunk of no known kind. */
export function metadataChunks(marker: string): Buffer[] {
  const comment = (text: string): Buffer => Buffer.concat([u16(2019), Buffer.from([5, 4, 12, 30]), u16(0), u16(0), counted(text), Buffer.alloc(text.length % 2)]);
  const id3Frame = Buffer.concat([Buffer.from("TIT2", "latin1"), u32(marker.length + 1), u16(0), Buffer.from([0]), Buffer.from(marker, "latin1")]);
  const id3 = Buffer.concat([Buffer.from("ID3", "latin1"), Buffer.from([3, 0, 0, 0, 0, 0, id3Frame.length]), id3Frame]);
  return [
    chunk("COMT", u16(1), comment(`${marker} recorded in the hall`)),
    chunk(
      "DIIN",
      chunk("EMID", Buffer.from(`${marker}-master`, "latin1")),
      chunk("MARK", u16(0), Buffer.from([1, 2]), u32(0), u32(0), u16(0), u16(0), u16(0), counted(`${marker} marker`)),
      chunk("DIAR", counted(`${marker} artist`)),
      chunk("DITI", counted(`${marker} title`)),
    ),
    chunk("MANF", Buffer.from(`SONY${marker}`, "latin1")),
    chunk("ID3 ", id3),
    chunk("ZZZZ", Buffer.from(marker, "latin1")),
  ];
}

/** One second of a DSD pattern that decodes to sound, not silence, so that a decoder's digest proves it kept. */
export function samples(): Buffer {
  const s = Buffer.alloc(2 * 2822400 / 8);
  for (let i = 0; i < s.length; i++) s[i] = (i * 37 + (i >> 5)) & 0xff;
  return s;
}

/**
 * An uncompressed file with every metadata chunk, some before the sound and some after (the sound
 * is not always last), around `sound` (a "DSD " chunk).
 */
export function markedDsdiff(marker: string, sound = chunk("DSD ", samples())): Buffer {
  const metadata = metadataChunks(marker);
  return form([VERSION, properties("DSD ", marker), ...metadata.slice(0, 2), sound, ...metadata.slice(2)]);
}
