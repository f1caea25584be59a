import { BadFileError } from "../errors.js";
import { runTool } from "../run-tool.js";
import { inputArgs, type MediaSource } from "./ffmpeg.js";
import type { StreamInfo } from "./probe.js";

/**
 * Script-data tags that ffmpeg's FLV demuxer hands over whole, as packets of a "text" subtitle
 * stream, when they come after the start of the file: cue points (FLVTool2 and Flash authoring
 * tools write their names, times and parameters there) and the later `onMetaData` and
 * `|RtmpSampleAccess` tags of recorded live streams. Real timed text (`onTextData`, `onCaption`)
 * reaches the stream as the text alone.
 */
const SCRIPT_NAMES = new Set(["onCuePoint", "onMetaData", "|RtmpSampleAccess"]);

/**
 * The FLV subtitle streams that carry nothing but script data, and how many of those tags they
 * hold. Such a stream is no subtitle: copied, it would become empty `onTextData` cues and a
 * `datastream` flag in the copy's header; it is left out and its tags counted as removed. A stream
 * that also carries real text stays (its text is content).
 */
export async function scriptDataStreams(src: MediaSource, streams: readonly StreamInfo[]): Promise<{ indexes: Set<number>; tags: number }> {
  const indexes = new Set<number>();
  let tags = 0;
  for (const s of streams) {
    if (s.kind !== "subtitle" || s.codec !== "text") continue;
    const packets = await packetHeads(src, s.index);
    if (packets.length > 0 && packets.every(isScriptData)) {
      indexes.add(s.index);
      tags += packets.length;
    }
  }
  return { indexes, tags };
}

/** An AMF0 string (marker 2, 16-bit length) naming one of the script tags above. */
function isScriptData(packet: Buffer): boolean {
  if (packet.length < 3 || packet[0] !== 2) return false;
  const length = packet.readUInt16BE(1);
  return SCRIPT_NAMES.has(packet.toString("latin1", 3, 3 + length));
}

/** The bytes of each packet of one stream (ffprobe's hex dump), as far as its first lines go. */
async function packetHeads(src: MediaSource, index: number): Promise<Buffer[]> {
  const r = await runTool(
    "ffprobe",
    ["-hide_banner", "-v", "error", ...inputArgs(src), "-select_streams", String(index), "-show_entries", "packet=data", "-show_data", "-of", "json"],
    { timeoutMs: 60_000, maxOutputBytes: 16 * 1024 * 1024 },
  );
  if (r.code !== 0) {
    throw new BadFileError("The FLV file is damaged and could not be read.", new Error(`ffprobe (packets of ${index}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  const parsed = JSON.parse(r.stdout.toString("utf8")) as { packets?: Array<{ data?: string }> };
  // Lines of "00000010: 6f6e 4375 ...  ascii": 8 groups of 4 hex digits after the offset; the
  // first two lines hold the longest name above.
  return (parsed.packets ?? []).map((p) =>
    Buffer.from(
      (p.data ?? "")
        .split("\n")
        .filter((line) => /^[0-9a-f]{8}: /.test(line))
        .slice(0, 2)
        .map((line) => line.slice(10, 49).replace(/ /g, ""))
        .join(""),
      "hex",
    ),
  );
}
