import type { BitReader } from "./rbsp.js";

/** The syntax structures the HEVC parameter sets share (ITU-T H.265 7.3.3, 7.3.4, 7.3.7, E.2.2); each false when a count is out of its range. */

const MAX_SUB_LAYERS = 7;
const MAX_CPB_COUNT = 31;
const MAX_DELTA_POCS = 32;

/** profile_tier_level(1, maxNumSubLayersMinus1). */
export function profileTierLevel(r: BitReader, subLayersMinus1: number): boolean {
  if (subLayersMinus1 >= MAX_SUB_LAYERS) return false;
  r.u(88); // general profile space, tier, profile, compatibility and constraint flags
  r.u(8); // general_level_idc
  const present: Array<[boolean, boolean]> = [];
  for (let i = 0; i < subLayersMinus1; i++) present.push([r.u(1) === 1, r.u(1) === 1]);
  if (subLayersMinus1 > 0) r.u(2 * (8 - subLayersMinus1)); // reserved_zero_2bits
  for (const [profile, level] of present) {
    if (profile) r.u(88);
    if (level) r.u(8);
  }
  return true;
}

/** hrd_parameters(commonInfPresentFlag, maxNumSubLayersMinus1). */
export function hrdParameters(r: BitReader, common: boolean, subLayersMinus1: number): boolean {
  let nal = false;
  let vcl = false;
  let subPic = false;
  if (common) {
    nal = r.u(1) === 1;
    vcl = r.u(1) === 1;
    if (nal || vcl) {
      subPic = r.u(1) === 1;
      if (subPic) r.u(19); // tick divisor, delay increment length, CPB DPB delays flag, delay length
      r.u(8); // bit rate and CPB size scales
      if (subPic) r.u(4);
      r.u(15); // three lengths of 5 bits
    }
  }
  for (let i = 0; i <= subLayersMinus1; i++) {
    const fixedGeneral = r.u(1) === 1;
    const fixedWithinCvs = fixedGeneral || r.u(1) === 1;
    const lowDelay = fixedWithinCvs ? (r.ue(), false) : r.u(1) === 1;
    const cpbCount = lowDelay ? 1 : r.ue() + 1;
    if (cpbCount > MAX_CPB_COUNT + 1) return false;
    for (const present of [nal, vcl]) {
      if (!present) continue;
      for (let j = 0; j < cpbCount; j++) {
        r.ue(); // bit_rate_value_minus1, cpb_size_value_minus1
        r.ue();
        if (subPic) {
          r.ue();
          r.ue();
        }
        r.u(1); // cbr_flag
      }
    }
  }
  return true;
}

/** scaling_list_data(). */
export function scalingListData(r: BitReader): void {
  for (let size = 0; size < 4; size++) {
    for (let matrix = 0; matrix < 6; matrix += size === 3 ? 3 : 1) {
      if (r.u(1) === 0) r.ue(); // scaling_list_pred_matrix_id_delta
      else {
        if (size > 1) r.se(); // scaling_list_dc_coef_minus8
        for (let i = 0; i < Math.min(64, 1 << (4 + 2 * size)); i++) r.se();
      }
      if (r.overrun) return;
    }
  }
}

/**
 * The `count` st_ref_pic_set(i) of an SPS; false when one is out of range. A set predicted from
 * the one before it has a flag or two for each of that set's pictures (NumDeltaPocs).
 */
export function shortTermRefPicSets(r: BitReader, count: number): boolean {
  const deltaPocs: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && r.u(1) === 1) {
      r.u(1); // delta_rps_sign, abs_delta_rps_minus1
      r.ue();
      let n = 0;
      for (let j = 0; j <= deltaPocs[i - 1]!; j++) if (r.u(1) === 1 || r.u(1) === 1) n++; // used_by_curr_pic_flag, use_delta_flag
      deltaPocs.push(n);
    } else {
      const negative = r.ue();
      const positive = r.ue();
      if (negative + positive > MAX_DELTA_POCS) return false;
      for (let j = 0; j < negative + positive; j++) {
        r.ue(); // delta_poc_minus1, used_by_curr_pic_flag
        r.u(1);
      }
      deltaPocs.push(negative + positive);
    }
    if (deltaPocs[i]! > MAX_DELTA_POCS || r.overrun) return false;
  }
  return true;
}
