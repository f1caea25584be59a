import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import { type Box, childBoxes, topLevelBoxes } from "./iso-boxes.js";
import { plainJp2Header } from "../image/jp2-header.js";
import { type CleanedHeader, cleanMpegVideoHeader } from "./mpeg-video-header.js";

/** The copy's `moov` is read whole; ffmpeg's for hours of video stays far under this. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

/** Where a sample entry's child boxes start: after a visual entry's fixed fields, or a sound entry's of its version (0, 1, 2). */
const VISUAL_ENTRY_FIXED = 8 + 78;
const SOUND_ENTRY_FIXED = [8 + 28, 8 + 44, 8 + 64];

const LEFT = "The file's metadata could not be removed completely.";

/**
 * ffmpeg's MOV and MP4 muxers write the codec configuration of a codec they have no box of their
 * own for as a `glbl` box in the sample entry (libavformat/movenc.c, mov_write_glbl_tag): in practice the
 * headers of MPEG-1/2 video (XDCAM, HDV, IMX, DVD rips), which its remux takes from the input's
 * `glbl` or from the first key frame, user data included. ExifTool shows the box as one unnamed
 * blob, which verification lets through (isQuickTimeStructural) because every `glbl` of the copy is
 * cleaned here, in place, as such a header (mpeg-video-header.ts): its user data blanked, the
 * bytes past its fields zeroed; or is a JPEG 2000 header of numbers only (cleanGlobalHeader). A
 * copy holding a `glbl` that is anything else is refused.
 * Resolves to the user data units blanked.
 */
export async function cleanGlobalHeaders(file: string): Promise<number> {
  const fh = await fsp.open(file, "r+");
  try {
    const { size } = await fh.stat();
    const moov = (await topLevelBoxes(fh, size))?.filter((b) => b.type === "moov");
    if (moov?.length !== 1) throw new BadFileError(LEFT, new Error("the remuxed MOV does not have one moov box"));
    const box = moov[0]!;
    if (box.size > MAX_MOOV_BYTES) throw new TooComplexError(`a remuxed MOV's moov box of ${box.size} bytes`);
    const buf = Buffer.alloc(box.size);
    await fh.read(buf, 0, box.size, box.at);
    const original = Buffer.from(buf);
    let userData = 0;
    for (const glbl of globalHeaders(buf, { ...box, at: 0 })) {
      const payload = buf.subarray(glbl.at + glbl.header, glbl.at + glbl.size);
      const cleaned = cleanGlobalHeader(payload);
      if (cleaned == null) throw new BadFileError(LEFT, new Error(`a glbl box of ${payload.length} bytes that is no MPEG-1/2 video header nor a plain JPEG 2000 one`));
      cleaned.record.copy(payload);
      userData += cleaned.userData;
    }
    if (!buf.equals(original)) await fh.write(buf, 0, buf.length, box.at);
    return userData;
  } finally {
    await fh.close();
  }
}

/** The key of a D-10 (IMX) picture element (SMPTE 386M), but for its last byte (the element's number). */
const D10_KEY = Buffer.from("060e2b34010201010d010301050101", "hex");
const JP2_HEADER = "jp2h";

/**
 * A `glbl` payload cleaned as the header it holds:
 * - MPEG-1/2 video headers (mpeg-video-header.ts), also behind the key and length of a D-10 (IMX)
 *   picture element: ffmpeg takes an IMX movie's headers from its first frame, which that KLV
 *   wrapping starts (as its imxdump filter and Sony's tools write them); key and length stay;
 * - a JPEG 2000 header box (`jp2h`: QuickTime's JPEG 2000 sample entry holds one, which ffmpeg's
 *   remux writes back as `glbl`) of numbers only (jp2-header.ts), kept as it is.
 * Null for anything else, an ICC profile in the JPEG 2000 header included.
 */
function cleanGlobalHeader(payload: Buffer): CleanedHeader | null {
  const klv = d10Prefix(payload);
  if (klv > 0) {
    const cleaned = cleanMpegVideoHeader(payload.subarray(klv));
    return cleaned == null ? null : { record: Buffer.concat([payload.subarray(0, klv), cleaned.record]), userData: cleaned.userData };
  }
  const isJp2Header = payload.length >= 8 && payload.readUInt32BE(0) === payload.length && payload.toString("latin1", 4, 8) === JP2_HEADER;
  if (isJp2Header) return plainJp2Header(payload, 8, payload.length) ? { record: payload, userData: 0 } : null;
  return cleanMpegVideoHeader(payload);
}

/** The length of a D-10 picture element's key and BER length at the start of `payload`, 0 when it does not start so. */
function d10Prefix(payload: Buffer): number {
  if (payload.length < D10_KEY.length + 2 || !payload.subarray(0, D10_KEY.length).equals(D10_KEY)) return 0;
  const first = payload[D10_KEY.length + 1]!;
  const length = first < 0x80 ? 1 : 1 + (first & 0x7f);
  return first === 0x80 || length > 9 ? 0 : D10_KEY.length + 1 + length;
}

/** The `glbl` boxes of the picture and sound sample entries under `moov` (held whole in `buf`). */
function globalHeaders(buf: Buffer, moov: Box): Box[] {
  const found: Box[] = [];
  for (const trak of inside(buf, moov, "trak")) {
    for (const mdia of inside(buf, trak, "mdia")) {
      const hdlr = inside(buf, mdia, "hdlr")[0];
      const handler = hdlr == null ? "" : buf.toString("latin1", hdlr.at + hdlr.header + 8, hdlr.at + hdlr.header + 12);
      for (const stsd of inside(buf, mdia, "minf").flatMap((b) => inside(buf, b, "stbl")).flatMap((b) => inside(buf, b, "stsd"))) {
        for (const entry of children(buf, stsd.at + stsd.header + 8, stsd.at + stsd.size)) {
          const fixed = handler === "vide" ? VISUAL_ENTRY_FIXED : handler === "soun" ? SOUND_ENTRY_FIXED[buf.readUInt16BE(entry.at + 16)] : undefined;
          if (fixed == null) continue;
          found.push(...children(buf, entry.at + fixed, entry.at + entry.size).filter((b) => b.type === "glbl"));
        }
      }
    }
  }
  return found;
}

/** The children of `box` of one type. */
function inside(buf: Buffer, box: Box, type: string): Box[] {
  return children(buf, box.at + box.header, box.at + box.size).filter((b) => b.type === type);
}

/**
 * The boxes of `buf[from, to)`. Where they do not tile it (a sample entry ending in ffmpeg's
 * 4-byte terminator, as it writes for SVQ3) there is none to read, unless the bytes name a `glbl`
 * box, which could then not be cleaned: refused.
 */
function children(buf: Buffer, from: number, to: number): Box[] {
  const boxes = from <= to ? childBoxes(buf, from, to) : null;
  if (boxes != null) return boxes;
  if (from < to && buf.subarray(from, to).includes("glbl", 0, "latin1")) {
    throw new BadFileError(LEFT, new Error(`a glbl box among bytes of the remuxed MOV's moov [${from}, ${to}) that are not boxes`));
  }
  return [];
}
