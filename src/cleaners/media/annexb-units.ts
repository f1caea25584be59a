import { BadFileError, TooComplexError } from "../errors.js";
import { isSeiOrParameterSet } from "./nal-header.js";
import type { ParameterSetTails } from "./parameter-set-tails.js";
import { type SeiCodec, seiReadable, userDataCount, withoutUserData } from "./sei.js";
import { START_CODE_PREFIX, payloadEnd } from "./start-codes.js";
import { blankedUnit, isUnread } from "./unread-units.js";

/**
 * An SEI unit or parameter set longer than this is not one an encoder writes (x264's option
 * string is under 1 KB, a frame's captions a few hundred bytes): refused as too complex. It is
 * below the window a stream is read in, so that a window always holds such a unit whole.
 */
const MAX_UNIT = 512 * 1024;
/** A run of printable characters this long in a unit that cannot be read is text, not a field's bytes. */
const TEXT_RUN = /[\x20-\x7e]{8,}/;

/** A same-length replacement for the NAL unit at `at` of a window, and the user-data messages it removes, or whether it blanks a unit no decoder reads. */
export interface NalEdit {
  at: number;
  bytes: Buffer;
  userData: number;
  unread: boolean;
}


/**
 * Walks the NAL units of one window of an H.264 or HEVC Annex B byte stream (ITU-T H.264 Annex
 * B: each unit after a 00 00 01 start code, which emulation prevention keeps out of every
 * unit's bytes) and calls `edit` for each SEI unit holding user data (made a same-length unit of
 * its other messages and filler, `sei.ts`) and each parameter set with bytes past its last field
 * (those zeroed, `parameter-set-tails.ts`), and each unit no decoder reads holding anything but
 * filler (made filler, unread-units.ts). `tails` is the stream's: a PPS is read with the SPS
 * before it. An SEI unit or parameter set that cannot be read and holds text (a damaged stream's
 * unit, or text behind a start code where no unit starts) makes the stream refused as damaged:
 * neither what to keep of it nor what a decoder makes of it can be told. Returns where the bytes
 * it could not judge yet start: a judged unit the window cuts.
 */
export function walkNalWindow(window: Buffer, final: boolean, codec: SeiCodec, tails: ParameterSetTails, edit: (e: NalEdit) => void): number {
  for (let at = window.indexOf(START_CODE_PREFIX); at >= 0 && at + 3 < window.length; at = window.indexOf(START_CODE_PREFIX, at + 3)) {
    const unit = at + 3;
    const unread = isUnread(window[unit]!, codec);
    // Slices and everything else are stepped over unread.
    if (!unread && !isSeiOrParameterSet(window[unit]!, codec)) continue;
    const next = window.indexOf(START_CODE_PREFIX, unit);
    if (next < 0 && !final) {
      if (window.length - at > MAX_UNIT) throw unitTooLong(codec);
      return at;
    }
    const end = payloadEnd(window, unit, next < 0 ? window.length : next);
    if (end - unit > MAX_UNIT) throw unitTooLong(codec);
    const nal = window.subarray(unit, end);
    if (unread) {
      const blank = blankedUnit(nal, codec);
      if (blank != null) edit({ at: unit, bytes: blank, userData: 0, unread: true });
      continue;
    }
    if (tails.holds(nal)) {
      const zeroed = tails.zeroed(nal);
      if (zeroed != null) edit({ at: unit, bytes: zeroed, userData: 0, unread: false });
      else if (TEXT_RUN.test(nal.toString("latin1")) && tails.unreadable(nal)) throw damaged();
      continue;
    }
    const cleaned = withoutUserData(nal, codec);
    if (cleaned != null) edit({ at: unit, bytes: cleaned, userData: userDataCount(nal, codec), unread: false });
    else if (TEXT_RUN.test(nal.toString("latin1")) && !seiReadable(nal, codec)) throw damaged();
  }
  // A start code may begin in the last three bytes.
  return final ? window.length : Math.max(0, window.length - 3);
}

function damaged(): BadFileError {
  return new BadFileError("The video stream is damaged and could not be read.", new Error("an SEI unit or parameter set that cannot be read holds text"));
}

function unitTooLong(codec: SeiCodec): TooComplexError {
  return new TooComplexError(`an ${codec === "h264" ? "H.264" : "HEVC"} SEI, parameter set, filler or reserved unit of more than ${MAX_UNIT} bytes`);
}
