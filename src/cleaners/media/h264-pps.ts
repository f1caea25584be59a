import { type H264SpsFacts, scalingList } from "./h264-sps.js";
import { BitReader, endedAt, rbspOf } from "./rbsp.js";

const NAL_PPS = 8;
const MAX_PPS_ID = 255;
const MAX_SLICE_GROUPS = 8;
const SLICE_GROUP_EXPLICIT = 6;

/**
 * An H.264 picture parameter set NAL unit (7.3.2.2) ended after its last field, read with the
 * SPS it names (`sps`, by id). Its last three fields (the High profiles' 8x8 transform, scaling
 * matrices and second chroma offset) are present when more_rbsp_data() says so: a 1 bit before
 * the unit's last one. So bytes a writer appends after the stop bit of a PPS without them make a
 * decoder read its stop bit and what follows as those fields (ffmpeg does, except for an SPS of
 * the Baseline, Main or Extended profile that keeps to them); this ends the unit after the fields
 * as such a decoder reads them, with a stop bit there, and the decoded pictures stay the same.
 * Null when the unit is no PPS, names an SPS not in `sps`, or does not parse.
 */
export function h264PpsKept(nal: Buffer, sps: ReadonlyMap<number, H264SpsFacts>): Buffer | null {
  if ((nal[0]! & 0x1f) !== NAL_PPS) return null;
  const unit = rbspOf(nal, 1);
  const r = new BitReader(unit.bytes);
  if (r.ue() > MAX_PPS_ID) return null;
  const facts = sps.get(r.ue());
  if (facts == null) return null;
  r.u(2); // entropy_coding_mode_flag, bottom_field_pic_order_in_frame_present_flag
  const groups = r.ue() + 1;
  if (groups > MAX_SLICE_GROUPS || (groups > 1 && !sliceGroups(r, groups, unit.bytes.length))) return null;
  r.ue(); // num_ref_idx_l0/l1_default_active_minus1
  r.ue();
  r.u(3); // weighted_pred_flag, weighted_bipred_idc
  r.se(); // pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset
  r.se();
  r.se();
  r.u(3); // deblocking filter control, constrained intra prediction, redundant picture count
  const extended = facts.ppsExtension && r.moreData();
  if (extended) {
    const transform8x8 = r.u(1);
    if (r.u(1) === 1) {
      for (let i = 0; i < 6 + (facts.chromaFormat === 3 ? 6 : 2) * transform8x8; i++) if (r.u(1) === 1) scalingList(r, i < 6 ? 16 : 64);
    }
    r.se(); // second_chroma_qp_index_offset
  }
  // Only where a decoder took the fields from past the writer's stop bit may the bits after them be other than a stop bit.
  return endedAt(unit, r, !extended);
}

/** The slice group map (num_slice_groups_minus1 > 0); false when it cannot fit in the unit's `bytes`. */
function sliceGroups(r: BitReader, groups: number, bytes: number): boolean {
  const type = r.ue();
  if (type === 0) for (let i = 0; i < groups; i++) r.ue(); // run_length_minus1
  else if (type === 2) for (let i = 0; i < 2 * (groups - 1); i++) r.ue(); // top_left, bottom_right
  else if (type >= 3 && type <= 5) {
    r.u(1); // slice_group_change_direction_flag, slice_group_change_rate_minus1
    r.ue();
  } else if (type === SLICE_GROUP_EXPLICIT) {
    const units = r.ue() + 1;
    if (units > bytes * 8) return false;
    const bits = Math.ceil(Math.log2(groups));
    for (let i = 0; i < units; i++) r.u(bits);
  } else if (type !== 1) return false;
  return !r.overrun;
}
