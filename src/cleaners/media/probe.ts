import { BadFileError } from "../errors.js";
import { runTool } from "../run-tool.js";
import { fromDump } from "./extradata.js";
import { inputArgs, type MediaSource } from "./ffmpeg.js";

const FFPROBE_TIMEOUT_MS = 60_000;

/** What a cleaned file must still hold: picture, sound and subtitle streams. */
export type ContentKind = "video" | "audio" | "subtitle";

export interface StreamInfo {
  /** The stream's index in the file, as ffmpeg's `-map 0:N` takes it. */
  index: number;
  /** `video`, `audio`, `subtitle`, `data`, `attachment`; cover art is `cover`. */
  kind: ContentKind | "cover" | "data" | "attachment" | "unknown";
  /** ffmpeg's codec name (`h264`, `hevc`, `ass`, `mov_text`...), "none" when unknown. */
  codec: string;
  /** The container's fourcc for it ("FMP4", "XVID"), "" when it has none. */
  codecTag: string;
  /** ffmpeg's name of the codec's profile ("LC", "High"), "" when it has none. */
  profile: string;
  /** Dispositions that are set (`default`, `forced`...). */
  dispositions: string[];
  /** The codec private data, when asked for. */
  extradata?: Buffer;
}

interface ProbeJson {
  streams?: Array<{
    index?: number;
    codec_type?: string;
    codec_name?: string;
    codec_tag_string?: string;
    profile?: string;
    disposition?: Record<string, number>;
    extradata?: string;
  }>;
}

/**
 * The streams of a file as ffprobe lists them, read with the one demuxer its type allows; with
 * their codec private data when `withExtradata` (in the same run: ffprobe's start costs more than
 * the dump).
 */
export async function probeStreams(src: MediaSource, typeName: string, withExtradata = false): Promise<StreamInfo[]> {
  const entries = `stream=index,codec_type,codec_name,codec_tag_string,profile${withExtradata ? ",extradata" : ""}:stream_disposition`;
  const r = await runTool(
    "ffprobe",
    ["-hide_banner", "-v", "warning", ...inputArgs(src), "-show_entries", entries, ...(withExtradata ? ["-show_data"] : []), "-of", "json"],
    { timeoutMs: FFPROBE_TIMEOUT_MS, maxOutputBytes: (withExtradata ? 64 : 4) * 1024 * 1024 },
  );
  if (r.code !== 0) {
    throw new BadFileError(`The ${typeName} file is damaged and could not be read.`, new Error(`ffprobe exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  // ffmpeg's MOV/MP4 demuxer reads a box whose fields claim more than it holds on into the boxes
  // after it, and keeps those bytes: an esds whose decoder configuration claimed 4 kB took the
  // tags and cover after it as the sound's codec configuration, which the copy wrote back where no
  // reader of metadata looks. A file so damaged is refused.
  const overread = /overread end of atom '([^']{0,8})' by (\d+) bytes/.exec(r.stderr);
  if (overread != null) {
    throw new BadFileError(`The ${typeName} file is damaged: one of its boxes claims more bytes than it holds.`, new Error(`ffprobe: ${overread[0]}`));
  }
  const parsed = JSON.parse(r.stdout.toString("utf8")) as ProbeJson;
  return (parsed.streams ?? []).map((s, i) => {
    const dispositions = Object.entries(s.disposition ?? {}).filter(([, on]) => on === 1).map(([name]) => name);
    // ffprobe writes a tag of unprintable bytes as "[0][0][0][0]".
    const tag = /^[\x20-\x7e]{4}$/.test(s.codec_tag_string ?? "") ? s.codec_tag_string! : "";
    const info: StreamInfo = { index: s.index ?? i, kind: kindOf(s.codec_type, dispositions), codec: s.codec_name ?? "none", codecTag: tag, profile: s.profile ?? "", dispositions };
    return withExtradata ? { ...info, extradata: fromDump(s.extradata ?? "") } : info;
  });
}

function kindOf(type: string | undefined, dispositions: readonly string[]): StreamInfo["kind"] {
  if (type === "video") return dispositions.includes("attached_pic") ? "cover" : "video";
  if (type === "audio" || type === "subtitle" || type === "data" || type === "attachment") return type;
  return "unknown";
}

/** True for the streams a clean copy keeps: picture, sound and subtitles (cover art is metadata). */
export function isContent(s: StreamInfo): s is StreamInfo & { kind: ContentKind } {
  return s.kind === "video" || s.kind === "audio" || s.kind === "subtitle";
}
