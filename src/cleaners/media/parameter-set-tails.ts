import { h264PpsKept } from "./h264-pps.js";
import { type H264SpsFacts, readH264Sps } from "./h264-sps.js";
import { hevcParameterSetKept, isHevcParameterSet } from "./hevc-parameter-sets.js";
import type { SeiCodec } from "./sei.js";

const H264_SPS = 7;
const H264_PPS = 8;

/**
 * The bytes a writer appended to the parameter sets of one H.264/HEVC stream after their last
 * field, found by a walk of their syntax (`h264-sps.ts`, `h264-pps.ts`,
 * `hevc-parameter-sets.ts`): no decoder reads them, every stream copy keeps them. Units are
 * handed in stream order, as an H.264 PPS is read with the SPS it names.
 */
export class ParameterSetTails {
  private readonly sps = new Map<number, H264SpsFacts>();

  constructor(private readonly codec: SeiCodec) {}

  /** Whether `nal` is a parameter set (H.264 SPS or PPS; HEVC VPS, SPS or PPS). */
  holds(nal: Buffer): boolean {
    if (this.codec === "hevc") return isHevcParameterSet(nal);
    const type = nal[0]! & 0x1f;
    return type === H264_SPS || type === H264_PPS;
  }

  /**
   * The unit ended after its last field (its last byte may differ: an H.264 PPS's stop bit is
   * rewritten where a decoder reads fields past the writer's, `h264-pps.ts`); null when it
   * already ends there, is no parameter set, or cannot be read (then it is left as it is).
   */
  kept(nal: Buffer): Buffer | null {
    const kept = this.read(nal);
    return kept == null || kept.equals(nal) ? null : kept;
  }

  /** Whether `nal` is a parameter set that cannot be read. */
  unreadable(nal: Buffer): boolean {
    return this.holds(nal) && this.read(nal) == null;
  }

  private read(nal: Buffer): Buffer | null {
    return this.codec === "hevc" ? hevcParameterSetKept(nal) : this.h264Kept(nal);
  }

  /** The unit `kept` makes of `nal`, zero bytes after it to the unit's length (a same-length patch); null as for `kept`. */
  zeroed(nal: Buffer): Buffer | null {
    const kept = this.kept(nal);
    return kept == null ? null : Buffer.concat([kept, Buffer.alloc(nal.length - kept.length)]);
  }

  private h264Kept(nal: Buffer): Buffer | null {
    if ((nal[0]! & 0x1f) === H264_PPS) return h264PpsKept(nal, this.sps);
    const sps = readH264Sps(nal);
    if (sps == null) return null;
    this.sps.set(sps.facts.id, sps.facts);
    return sps.kept;
  }
}
