/**
 * Where an H.264 sequence parameter set NAL unit (ITU-T H.264 7.3.2.1.1, with its VUI and HRD
 * parameters, Annex E) really ends: at the byte that holds its RBSP stop bit. The syntax has no
 * field after the VUI, so decoders read no further, but a writer may append any bytes to the unit
 * and every stream copy keeps them. Null when the unit is no SPS or does not parse to a stop bit
 * followed by zero bits (a profile this walk does not know, a damaged unit): it is then left as it
 * is.
 */
export function spsLength(nal: Buffer): number | null {
  if ((nal[0]! & 0x1f) !== NAL_SPS) return null;
  const { rbsp, nalAt } = unescape(nal);
  const r = new BitReader(rbsp);
  if (!readSps(r) || r.u(1) !== 1) return null;
  while (r.bit % 8 !== 0) if (r.u(1) !== 0) return null;
  if (r.overrun) return null;
  const end = r.bit / 8;
  return end < rbsp.length ? nalAt[end]! : nal.length;
}

const NAL_SPS = 7;
/** Profiles whose SPS carries the chroma format, bit depths and scaling matrices (7.3.2.1.1). */
const CHROMA_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
const MAX_SPS_ID = 31;
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;
const MAX_CPB_COUNT = 31;
const EXTENDED_SAR = 255;

/** The RBSP of a NAL unit after its one-byte header (emulation prevention bytes taken out), and where each of its bytes is in the unit. */
function unescape(nal: Buffer): { rbsp: Buffer; nalAt: number[] } {
  const bytes: number[] = [];
  const nalAt: number[] = [];
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    bytes.push(b);
    nalAt.push(i);
  }
  return { rbsp: Buffer.from(bytes), nalAt };
}

/** Reads bits, most significant first; a read past the end gives zeros and sets `overrun`. */
class BitReader {
  bit = 0;
  overrun = false;
  constructor(private readonly buf: Buffer) {}

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++, this.bit++) {
      const byte = this.buf[this.bit >> 3];
      if (byte == null) this.overrun = true;
      v = v * 2 + (((byte ?? 0) >> (7 - (this.bit & 7))) & 1);
    }
    return v;
  }

  /** ue(v): Exp-Golomb; 32 leading zeros or more cannot be a field's value here. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31 || this.overrun) {
        this.overrun = true;
        return 0;
      }
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

/** The SPS fields up to its VUI's last; false when a count is out of its range or the unit runs out. */
function readSps(r: BitReader): boolean {
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  if (r.ue() > MAX_SPS_ID) return false;
  if (CHROMA_PROFILES.has(profile)) {
    const chroma = r.ue();
    if (chroma === 3) r.u(1);
    r.ue();
    r.ue();
    r.u(1);
    if (r.u(1) === 1) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) if (r.u(1) === 1) scalingList(r, i < 6 ? 16 : 64);
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
    if (cycle > MAX_REF_FRAMES_IN_POC_CYCLE) return false;
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.u(1);
  r.ue(); // width and height in macroblocks
  r.ue();
  if (r.u(1) === 0) r.u(1); // frame_mbs_only_flag, mb_adaptive_frame_field_flag
  r.u(1);
  if (r.u(1) === 1) for (let i = 0; i < 4; i++) r.ue(); // frame cropping
  if (r.u(1) === 1 && !readVui(r)) return false;
  return !r.overrun;
}

function scalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    if (next !== 0) last = next;
  }
}

/** vui_parameters (E.1.1). */
function readVui(r: BitReader): boolean {
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
