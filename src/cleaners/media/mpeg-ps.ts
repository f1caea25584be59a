import { UnsupportedTypeError } from "../errors.js";
import { readHead } from "../file-bytes.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { cleanBareVideo, bareVideoOf } from "./bare-video.js";
import { remuxCleaner } from "./containers.js";
import { isMpegStreamStructural } from "./mpeg-ts.js";
import { isMediaStructural } from "./structural.js";
import { anyOf } from "./structural-lists.js";

/** A pack header's start code, which every program stream starts with. */
const PACK_START = Buffer.from([0, 0, 1, 0xba]);

const mpeg2 = remuxCleaner("mpeg-ps", { MPEG: { demuxer: "mpeg", muxer: "vob" } });
const mpeg1 = remuxCleaner("mpeg-ps", { MPEG: { demuxer: "mpeg", muxer: "mpeg" } });

/**
 * MPEG program streams (.mpg, .mpeg, .vob, a camcorder's .mod): a stream copy into new packs,
 * MPEG-2's (ffmpeg's `vob` muxer, without a DVD's navigation packets) or MPEG-1's system stream,
 * as the first pack header says. Only the picture, sound and subtitle streams are copied:
 * private data streams (a DVD's navigation packets), padding and streams of no known kind are
 * not. What ExifTool also calls MPEG is a bare video stream, with no pack header: MPEG-1/2 or
 * MPEG-4 Part 2 video is cleaned as the stream it is (bare-video.ts); anything else is named as a
 * type no cleaner here handles.
 */
export const mpegPsCleaner: Cleaner = {
  ...mpeg2,
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const head = await readHead(ctx.input, 5);
    const bare = bareVideoOf(head);
    if (bare != null) return cleanBareVideo(ctx, bare);
    if (head.length < 5 || !head.subarray(0, 4).equals(PACK_START)) throw new UnsupportedTypeError("MPEG stream with no header");
    // The pack header's first bits after its start code: 01 in MPEG-2's, 0010 in MPEG-1's.
    return ((head[4]! & 0xc0) === 0x40 ? mpeg2 : mpeg1).clean(ctx);
  },
  isStructural: anyOf(isMediaStructural, isMpegStreamStructural),
};
