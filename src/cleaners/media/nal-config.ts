import { BadFileError } from "../errors.js";
import { av1ConfigPadded } from "./av1-config.js";
import { extradata } from "./extradata.js";
import type { MediaSource } from "./ffmpeg.js";
import { cleanNalConfig } from "./iso-sei.js";
import { patchInPlace } from "./patch-pieces.js";
import type { SeiCodec } from "./sei.js";

/** An `avcC`/`hvcC` record starts with its configuration version, 1; Annex B codec private data (MPEG-TS, raw streams) with a start code. */
const CONFIGURATION_VERSION = 1;

/**
 * The `avcC`/`hvcC`/`av1C` of H.264/HEVC/AV1 stream `index` of the remuxed copy, cleaned in
 * place: ffmpeg's muxers (MP4, MOV, Matroska, FLV) write the record they read byte for byte, so
 * an SEI unit among its parameter sets and the bytes past its fields come along. The SEI scan
 * (`sei.ts`) sees the record's units only when mp4toannexb hands them on (not those of the SPS
 * extension, and none when the stream carries its own parameter sets): here the record itself is
 * read. Its SEI user data is overwritten and the bytes past its fields zeroed, which keeps every
 * length and offset of the copy; then the copy's record is read again. `record` is the copy's as
 * ffprobe read it. Resolves to the messages removed.
 */
export async function cleanNalConfigInPlace(output: MediaSource, index: number, record: Buffer, codec: SeiCodec | "av1", typeName: string): Promise<number> {
  const damaged = `The ${typeName} file's video configuration could not be read.`;
  const cleaned = clean(record, codec, damaged);
  if (cleaned == null || cleaned.to.equals(record)) return 0;
  // ffmpeg's muxers write the record they read as it is: a copy where ffprobe reads a record its
  // bytes do not hold came from a damaged file (elements running past their parents, read twice).
  if ((await patchInPlace(output.file, [{ from: record, to: cleaned.to }])) === 0) {
    throw new BadFileError(damaged, new Error(`the codec configuration of output stream ${index} was not found in the copy`));
  }
  const again = await extradata(output, index, damaged);
  if (!clean(again, codec, damaged)?.to.equals(again)) {
    throw new BadFileError("The video stream's encoder information could not be removed.", new Error(`the codec configuration of output stream ${index} still holds SEI user data or bytes past its fields`));
  }
  return cleaned.messages;
}

/**
 * The record as it should be (its SEI user data overwritten, the bytes past its fields zeroed;
 * for AV1 made one padding OBU, which readers that hand the record's OBUs to the decoder skip),
 * and the messages removed; null when the codec private data is no such record.
 */
function clean(record: Buffer, codec: SeiCodec | "av1", damaged: string): { to: Buffer; messages: number } | null {
  if (codec === "av1") {
    const padded = av1ConfigPadded(record);
    return padded == null ? null : { to: padded, messages: 0 };
  }
  if (record[0] !== CONFIGURATION_VERSION) return null;
  const cleaned = cleanNalConfig(record, codec);
  if (cleaned == null) throw new BadFileError(damaged, new Error(`the ${codec} codec configuration's NAL arrays run past its ${record.length} bytes`));
  return { to: cleaned.record.fill(0, cleaned.length), messages: cleaned.messages };
}
