import { vuiPictureFields } from "./h264-sps.js";
import { hrdParameters, profileTierLevel, scalingListData, shortTermRefPicSets } from "./hevc-syntax.js";
import { BitReader, endedAt, rbspOf } from "./rbsp.js";

const VPS = 32;
const SPS = 33;
const PPS = 34;
const MAX_LAYER_SETS = 1024;
const MAX_SHORT_TERM_SETS = 64;
const MAX_LONG_TERM_PICS = 32;
const MAX_TILES = 256;
const MAX_CHROMA_QP_OFFSETS = 6;

/**
 * An HEVC VPS, SPS or PPS (ITU-T H.265 7.3.2.1-7.3.2.3) ended at its RBSP stop bit, where a walk
 * of its syntax lands (`endedAt`, strict): what a writer appends after it is read by no decoder.
 * Each ends with extension flags; a set flag is followed by extension data up to the stop bit,
 * which a later edition of the standard may give a meaning, so a unit is only ended where the
 * flags say there is none past the fields known here (the SPS's and PPS's range extension, the
 * SPS's multilayer flag). Null when the unit is none of them, carries other extension data, or
 * does not parse.
 */
export function hevcParameterSetKept(nal: Buffer): Buffer | null {
  const type = (nal[0]! >> 1) & 0x3f;
  const read = type === VPS ? readVps : type === SPS ? readSps : type === PPS ? readPps : null;
  if (read == null) return null;
  const unit = rbspOf(nal, 2);
  const r = new BitReader(unit.bytes);
  return read(r) ? endedAt(unit, r, true) : null;
}

/** True when `nal` is an HEVC VPS, SPS or PPS. */
export function isHevcParameterSet(nal: Buffer): boolean {
  const type = (nal[0]! >> 1) & 0x3f;
  return type === VPS || type === SPS || type === PPS;
}

function readVps(r: BitReader): boolean {
  r.u(12); // id, base layer flags, vps_max_layers_minus1
  const subLayersMinus1 = r.u(3);
  r.u(17); // temporal id nesting, reserved 0xffff
  if (!profileTierLevel(r, subLayersMinus1)) return false;
  subLayerOrdering(r, subLayersMinus1);
  const maxLayerId = r.u(6);
  const layerSets = r.ue() + 1;
  if (layerSets > MAX_LAYER_SETS) return false;
  r.u((layerSets - 1) * (maxLayerId + 1)); // layer_id_included_flag
  if (r.u(1) === 1) {
    r.u(64); // num_units_in_tick, time_scale
    if (r.u(1) === 1) r.ue(); // vps_num_ticks_poc_diff_one_minus1
    const hrds = r.ue();
    if (hrds > layerSets) return false;
    for (let i = 0; i < hrds; i++) {
      r.ue(); // hrd_layer_set_idx
      if (!hrdParameters(r, i === 0 || r.u(1) === 1, subLayersMinus1)) return false;
    }
  }
  return r.u(1) === 0; // vps_extension_flag
}

function subLayerOrdering(r: BitReader, subLayersMinus1: number): void {
  const all = r.u(1) === 1;
  for (let i = all ? 0 : subLayersMinus1; i <= subLayersMinus1; i++) for (let k = 0; k < 3; k++) r.ue();
}

function readSps(r: BitReader): boolean {
  r.u(4); // sps_video_parameter_set_id
  const subLayersMinus1 = r.u(3);
  r.u(1);
  if (!profileTierLevel(r, subLayersMinus1)) return false;
  r.ue(); // sps_seq_parameter_set_id
  if (r.ue() === 3) r.u(1); // chroma_format_idc, separate_colour_plane_flag
  r.ue(); // width, height
  r.ue();
  if (r.u(1) === 1) for (let i = 0; i < 4; i++) r.ue(); // conformance window
  r.ue(); // bit depths
  r.ue();
  const pocLsbBits = r.ue() + 4;
  if (pocLsbBits > 16) return false;
  subLayerOrdering(r, subLayersMinus1);
  for (let i = 0; i < 6; i++) r.ue(); // coding and transform block sizes, transform hierarchy depths
  if (r.u(1) === 1 && r.u(1) === 1) scalingListData(r); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  r.u(2); // amp, sample adaptive offset
  if (r.u(1) === 1) {
    r.u(8); // PCM bit depths, sizes, loop filter
    r.ue();
    r.ue();
    r.u(1);
  }
  const shortTermSets = r.ue();
  if (shortTermSets > MAX_SHORT_TERM_SETS || !shortTermRefPicSets(r, shortTermSets)) return false;
  if (r.u(1) === 1) {
    const longTerm = r.ue();
    if (longTerm > MAX_LONG_TERM_PICS) return false;
    r.u(longTerm * (pocLsbBits + 1)); // lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt_sps_flag
  }
  r.u(2); // temporal MVP, strong intra smoothing
  if (r.u(1) === 1 && !readVui(r, subLayersMinus1)) return false;
  if (r.u(1) === 0) return true; // sps_extension_present_flag
  const range = r.u(1) === 1;
  const multilayer = r.u(1) === 1;
  if (r.u(6) !== 0) return false; // 3D, screen content, sps_extension_4bits
  if (range) r.u(9);
  if (multilayer) r.u(1); // inter_view_mv_vert_constraint_flag
  return true;
}

/** vui_parameters() (E.2.1). */
function readVui(r: BitReader, subLayersMinus1: number): boolean {
  vuiPictureFields(r);
  r.u(3); // neutral chroma, field sequence, frame field info
  if (r.u(1) === 1) for (let i = 0; i < 4; i++) r.ue(); // default display window
  if (r.u(1) === 1) {
    r.u(64); // num_units_in_tick, time_scale
    if (r.u(1) === 1) r.ue();
    if (r.u(1) === 1 && !hrdParameters(r, true, subLayersMinus1)) return false;
  }
  if (r.u(1) === 1) {
    r.u(3); // bitstream restriction
    for (let i = 0; i < 5; i++) r.ue();
  }
  return true;
}

function readPps(r: BitReader): boolean {
  r.ue(); // pps_pic_parameter_set_id, pps_seq_parameter_set_id
  r.ue();
  r.u(7); // dependent slices, output flag, extra slice header bits, sign data hiding, CABAC init
  r.ue(); // num_ref_idx_l0/l1_default_active_minus1
  r.ue();
  r.se(); // init_qp_minus26
  r.u(1); // constrained_intra_pred_flag
  const transformSkip = r.u(1) === 1;
  if (r.u(1) === 1) r.ue(); // cu_qp_delta_enabled_flag, diff_cu_qp_delta_depth
  r.se(); // Cb and Cr QP offsets
  r.se();
  r.u(4); // slice chroma QP offsets, weighted prediction, weighted bi-prediction, transquant bypass
  const tiles = r.u(1) === 1;
  r.u(1); // entropy_coding_sync_enabled_flag
  if (tiles) {
    const columns = r.ue();
    const rows = r.ue();
    if (columns >= MAX_TILES || rows >= MAX_TILES) return false;
    if (r.u(1) === 0) for (let i = 0; i < columns + rows; i++) r.ue(); // column widths, row heights
    r.u(1); // loop_filter_across_tiles_enabled_flag
  }
  r.u(1); // pps_loop_filter_across_slices_enabled_flag
  if (r.u(1) === 1) {
    r.u(1); // deblocking_filter_override_enabled_flag
    if (r.u(1) === 0) {
      r.se(); // beta and tc offsets
      r.se();
    }
  }
  if (r.u(1) === 1) scalingListData(r);
  r.u(1); // lists_modification_present_flag
  r.ue(); // log2_parallel_merge_level_minus2
  r.u(1); // slice_segment_header_extension_present_flag
  if (r.u(1) === 0) return true; // pps_extension_present_flag
  const range = r.u(1) === 1;
  if (r.u(7) !== 0) return false; // multilayer, 3D, screen content, pps_extension_4bits
  if (range) {
    if (transformSkip) r.ue(); // log2_max_transform_skip_block_size_minus2
    r.u(1); // cross_component_prediction_enabled_flag
    if (r.u(1) === 1) {
      r.ue(); // diff_cu_chroma_qp_offset_depth
      const offsets = r.ue() + 1;
      if (offsets > MAX_CHROMA_QP_OFFSETS) return false;
      for (let i = 0; i < 2 * offsets; i++) r.se();
    }
    r.ue(); // SAO offset scales
    r.ue();
  }
  return true;
}
