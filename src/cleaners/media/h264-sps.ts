import { BitReader, endedAt, rbspOf } from "./rbsp.js";

/** What a PPS needs from the SPS it names (`h264-pps.ts`). */
export interface H264SpsFacts {
  id: number;
  chromaFormat: number;
  /**
   * False for a Baseline, Main or Extended SPS that says it keeps to those profiles (constraint
   * set 0, 1 or 2): their PPS has none of the High profiles' fields, and ffmpeg reads none.
   */
  ppsExtension: boolean;
}

/**
 * An H.264 sequence parameter set NAL unit (ITU-T H.264 7.3.2.1.1, with its VUI and HRD
 * parameters, Annex E) read to its RBSP stop bit: the facts a PPS needs, and the unit ended at
 * the byte that holds that bit (`endedAt`, strict). The syntax has no field after the VUI, so
 * decoders read no further, but a writer may append any bytes to the unit and every stream copy
 * keeps them. `kept` is null when the unit does not parse to a stop bit followed by zero bits (a
 * profile this walk does not know, a damaged unit): it is then left as it is. Null when the unit
 * is no SPS or its counts are out of range.
 */
export function readH264Sps(nal: Buffer): { facts: H264SpsFacts; kept: Buffer | null } | null {
  if ((nal[0]! & 0x1f) !== NAL_SPS) return null;
  const unit = rbspOf(nal, 1);
  const r = new BitReader(unit.bytes);
  const facts = readSps(r);
  return facts == null ? null : { facts, kept: endedAt(unit, r, true) };
}

const NAL_SPS = 7;
/** Profiles whose SPS carries the chroma format, bit depths and scaling matrices (7.3.2.1.1). */
const CHROMA_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
const MAX_SPS_ID = 31;
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;
const MAX_CPB_COUNT = 31;
/** aspect_ratio_idc: the sample aspect ratio follows as two numbers. */
const EXTENDED_SAR = 255;
/** Baseline, Main and Extended (A.2.1-A.2.3), and their constraint_set0/1/2 flags. */
const BASIC_PROFILES = new Set([66, 77, 88]);
const CONSTRAINT_SETS_0_TO_2 = 0xe0;

/** The SPS fields up to its VUI's last; null when a count is out of its range or the unit runs out. */
function readSps(r: BitReader): H264SpsFacts | null {
  const profile = r.u(8);
  const constraints = r.u(8);
  r.u(8); // level
  const id = r.ue();
  if (id > MAX_SPS_ID) return null;
  let chromaFormat = 1;
  if (CHROMA_PROFILES.has(profile)) {
    chromaFormat = r.ue();
    if (chromaFormat === 3) r.u(1);
    r.ue();
    r.ue();
    r.u(1);
    if (r.u(1) === 1) {
      for (let i = 0; i < (chromaFormat === 3 ? 12 : 8); i++) if (r.u(1) === 1) scalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > MAX_REF_FRAMES_IN_POC_CYCLE) return null;
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.u(1);
  r.ue(); // width and height in macroblocks
  r.ue();
  if (r.u(1) === 0) r.u(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
  r.u(1);
  if (r.u(1) === 1) for (let i = 0; i < 4; i++) r.ue(); // frame cropping
  if (r.u(1) === 1 && !readVui(r)) return null;
  return r.overrun ? null : { id, chromaFormat, ppsExtension: !(BASIC_PROFILES.has(profile) && (constraints & CONSTRAINT_SETS_0_TO_2) !== 0) };
}

/** scaling_list(): the deltas of one list up to the first that makes the next scale 0. */
export function scalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    if (next !== 0) last = next;
  }
}

/** vui_parameters (E.1.1). */
function readVui(r: BitReader): boolean {
  vuiPictureFields(r);
  if (r.u(1) === 1) r.u(65); // timing: units in tick, time scale, fixed frame rate
  const nal = r.u(1) === 1;
  if (nal && !readHrd(r)) return false;
  const vcl = r.u(1) === 1;
  if (vcl && !readHrd(r)) return false;
  if (nal || vcl) r.u(1);
  r.u(1); // pic_struct_present_flag
  if (r.u(1) === 1) {
    r.u(1); // bitstream restriction
    for (let i = 0; i < 6; i++) r.ue();
  }
  return true;
}

/** The fields a VUI starts with, which H.265's (E.2.1) took over: aspect ratio, overscan, video signal type, chroma sample locations. */
export function vuiPictureFields(r: BitReader): void {
  if (r.u(1) === 1 && r.u(8) === EXTENDED_SAR) r.u(32);
  if (r.u(1) === 1) r.u(1); // overscan
  if (r.u(1) === 1) {
    r.u(4); // video format, full range
    if (r.u(1) === 1) r.u(24); // colour primaries, transfer, matrix
  }
  if (r.u(1) === 1) {
    r.ue(); // chroma sample locations
    r.ue();
  }
}

/** hrd_parameters (E.1.2). */
function readHrd(r: BitReader): boolean {
  const count = r.ue();
  if (count > MAX_CPB_COUNT) return false;
  r.u(8); // bit rate and CPB size scales
  for (let i = 0; i <= count; i++) {
    r.ue();
    r.ue();
    r.u(1);
  }
  r.u(20); // four delays and lengths of 5 bits
  return true;
}
