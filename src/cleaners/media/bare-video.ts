import { BadFileError } from "../errors.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { isMediaStructural } from "./structural.js";
import { walkStreamWindow } from "./mpeg-video-stream.js";
import { blankedPayload, withoutTimeCode } from "./mpeg-video-units.js";
import { walkUserDataWindow } from "./mpeg4-stream.js";
import { blankUnit } from "./mpeg4-user-data.js";
import { walkNalWindow } from "./annexb-units.js";
import { ParameterSetTails } from "./parameter-set-tails.js";
import type { SeiCodec } from "./sei.js";

/** The kinds of bare video stream: MPEG-1/2 and MPEG-4 Part 2 by the start code they open with, H.264 and HEVC by their first unit (annexb-fields.ts). */
export type BareVideo = "mpeg12" | "mpeg4" | SeiCodec;

/**
 * The kind of bare video stream a file's first bytes open: MPEG-1/2 video (`.m1v`, `.m2v`) with
 * its sequence header (00 00 01 B3), MPEG-4 Part 2 video (`.m4v`, `.cmp`) with its visual object
 * sequence (00 00 01 B0); null for anything else.
 */
export function bareVideoOf(head: Buffer): BareVideo | null {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 1) return null;
  return head[3] === 0xb3 ? "mpeg12" : head[3] === 0xb0 ? "mpeg4" : null;
}

/** Bytes to put in place of as many at `at` of a window, adding `count` to `removed` key `key`. */
interface Edit {
  at: number;
  bytes: Buffer;
  key: string;
  count: number;
}

/** Finds the edits of one window of the stream, in order; returns where the bytes it could not judge yet start. */
type WindowWalk = (window: Buffer, final: boolean, edit: (e: Edit) => void) => number;

/** A new walk over a stream of each kind, from its start: an H.264 or HEVC one keeps the parameter sets it has read. */
const walks: Record<BareVideo, () => WindowWalk> = {
  mpeg12: () => (window, final, edit) =>
    walkStreamWindow(window, final, (kind, at, end) => {
      if (kind === "userData") {
        edit({ at: at + 4, bytes: blankedPayload(window[at + 3]!, window.subarray(at + 4, end)), key: "mpegVideoUserData", count: 1 });
        return;
      }
      const header = Buffer.alloc(4);
      header.writeUInt32BE(withoutTimeCode(window.readUInt32BE(at + 4))!);
      edit({ at: at + 4, bytes: header, key: "mpegTimeCodes", count: 1 });
    }),
  // A bare stream has no fourcc: ffmpeg's decoder reads it as its own (codec tag 0).
  mpeg4: () => (window, final, edit) =>
    walkUserDataWindow(window, final, "", (unit) => {
      const payload = Buffer.from(window.subarray(unit.payloadStart, unit.payloadEnd));
      blankUnit(payload, { at: 0, payloadStart: 0, payloadEnd: payload.length }, "");
      edit({ at: unit.payloadStart, bytes: payload, key: "mpeg4UserData", count: 1 });
    }),
  h264: () => nalWalk("h264"),
  hevc: () => nalWalk("hevc"),
};

function nalWalk(codec: SeiCodec): WindowWalk {
  const tails = new ParameterSetTails(codec);
  return (window, final, edit) =>
    walkNalWindow(window, final, codec, tails, (e) => edit({ at: e.at, bytes: e.bytes, key: e.unread ? "unreadUnits" : "seiUserData", count: e.unread ? 1 : e.userData }));
}

/**
 * A bare MPEG-1/2 or MPEG-4 Part 2 video stream, with no container around it: the file is the
 * stream, so what a remux of it would do (streams.ts) is done to the file itself, a window at a
 * time. Its user data is blanked and its GOP time codes zeroed in place (`mpeg-video-units.ts`,
 * `mpeg4-user-data.ts`), every other byte copied as it is: the pictures decode the same. The copy
 * is then walked again: a unit or time code left makes it refused, never handed back. ExifTool
 * reads nothing of MPEG-4 video without a container, so there that walk is the only proof.
 *
 * An H.264 or HEVC stream (Annex B) is walked the same way: each SEI unit holding user data
 * becomes a same-length unit of its other messages and filler, and the bytes a writer left past a
 * parameter set's last field are zeroed (`annexb-units.ts`). ExifTool does not recognise either.
 */
export async function cleanBareVideo(ctx: CleanContext, kind: BareVideo): Promise<CleanOutcome> {
  const walk = walks[kind]();
  const hidden: Record<string, number> = {};
  await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
    await forEachWindow(src, async (window, pos, final) => {
      let copied = pos;
      const keepFrom = walk(window, final, (e) => {
        out.copy(copied, pos + e.at);
        out.bytes(e.bytes);
        copied = pos + e.at + e.bytes.length;
        hidden[e.key] = (hidden[e.key] ?? 0) + e.count;
      });
      out.copy(copied, pos + keepFrom);
      if (out.full) await out.flush();
      return keepFrom;
    });
  });
  ctx.outputFinal();

  const copy = await FileBytes.open(ctx.output);
  let left = 0;
  try {
    const again = walks[kind]();
    await forEachWindow(copy, (window, _pos, final) => again(window, final, () => left++));
  } finally {
    await copy.close();
  }
  if (left > 0) throw new BadFileError("The video stream's encoder information could not be removed.", new Error(`${left} user data unit(s) or time code(s) left in the copy`));
  return { hidden, readByCleanerOnly: kind !== "mpeg12" };
}

/**
 * Calls `visit` with the file's windows from its start: each starts where the last one's bytes
 * that `visit` could not judge start (what it returns).
 */
async function forEachWindow(src: FileBytes, visit: (window: Buffer, pos: number, final: boolean) => number | Promise<number>): Promise<void> {
  for (let pos = 0; pos < src.size; ) {
    const window = await src.read(pos, WINDOW);
    pos += await visit(window, pos, pos + window.length >= src.size);
  }
}

/** H.264 and HEVC elementary streams (Annex B), which ExifTool does not recognise (annexb-fields.ts tells them). */
export const annexBCleaner: Cleaner = {
  name: "annexb",
  fileTypes: ["H264", "HEVC"],
  clean: (ctx) => cleanBareVideo(ctx, ctx.fileType === "H264" ? "h264" : "hevc"),
  isStructural: isMediaStructural,
};
