import { type SeiCodec, splitAnnexB, userDataPayloads } from "../cleaners/media/sei.js";
import type { RawTags, ReadBytes } from "./read-task.js";

/** Bytes of a file's start that tell an Annex B stream: leading zeros, a start code, the first unit's first bytes. */
export const ANNEXB_HEAD = 16;
/** Only the start of a stream is read for the report: encoders write their user data with the first pictures. */
const MAX_READ = 1024 * 1024;
/** Different user-data texts listed (an encoder repeats one; a camera can write one a frame). */
const MAX_VALUES = 20;
/** A user-data message's payload starts with a 16-byte UUID naming its writer's format. */
const UUID = 16;
const TEXT_RUN = /[\x20-\x7e]{4,}/g;

/** H.264 profiles (profile_idc, ITU-T H.264 A.2) an SPS that opens a stream can name. */
const H264_PROFILES = new Set([44, 66, 77, 83, 86, 88, 100, 110, 118, 122, 128, 134, 135, 138, 139, 144, 244]);
/** SEI payload types an encoder opens a stream with: buffering period, picture timing, registered and unregistered user data, recovery point. */
const OPENING_SEI = new Set([0, 1, 4, 5, 6]);

/**
 * The codec of an H.264 or HEVC elementary stream in Annex B form (.h264, .264, .h265, .hevc: what
 * cameras, drones, dash cams and CCTV recorders export, and `ffmpeg -c:v copy x.h264` writes),
 * which ExifTool does not recognise, by its first unit: zero bytes, a start code, then an access
 * unit delimiter, a parameter set or an SEI unit, as encoders open a stream. The two codecs'
 * headers for these units never share a first byte. Null for anything else.
 */
export function annexBCodecOf(head: Buffer): SeiCodec | null {
  let at = 0;
  while (at < 8 && head[at] === 0) at++;
  if (at < 2 || head[at] !== 1 || head.length < at + 3) return null;
  const [h, next] = [head[at + 1]!, head[at + 2]!];
  const h264 = h & 0x1f;
  if ((h === 0x09 && (next & 0x1f) === 0x10) || (h264 === 7 && (h & 0xe0) !== 0 && (h & 0x80) === 0 && H264_PROFILES.has(next)) || (h === 0x06 && OPENING_SEI.has(next))) {
    return "h264";
  }
  const hevc = (h >> 1) & 0x3f;
  if ((h & 0x81) === 0 && next === 0x01 && [32, 33, 34, 35, 39].includes(hevc)) return "hevc";
  return null;
}

/**
 * What the start of an H.264 or HEVC elementary stream says besides its pictures, which ExifTool
 * does not read: the user data of its SEI units (x264's and x265's version and full option
 * string, a camera's own notes), as text where it is text, under the group H264 or HEVC.
 */
export async function readAnnexBTags(bytes: ReadBytes, size: number, codec: SeiCodec): Promise<RawTags> {
  const values = new Set<string>();
  for (const unit of splitAnnexB(await bytes(0, Math.min(size, MAX_READ)))) {
    for (const payload of userDataPayloads(unit, codec)) {
      const data = payload.subarray(UUID);
      const text = data.toString("latin1").match(TEXT_RUN)?.join(" ") ?? "";
      if (values.size < MAX_VALUES) values.add(text !== "" ? text : `(Binary data ${data.length} bytes, use -b option to extract)`);
    }
  }
  return values.size === 0 ? {} : { [`${codec === "h264" ? "H264" : "HEVC"}:UserData`]: [...values].join("; ") };
}
