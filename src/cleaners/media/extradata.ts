import { BadFileError } from "../errors.js";
import { runTool } from "../run-tool.js";
import { inputArgs, type MediaSource } from "./ffmpeg.js";

/** A stream's codec private data, from ffprobe's hex dump (`-show_data`); `damaged` is the user's sentence when ffprobe fails. */
export async function extradata(src: MediaSource, index: number, damaged: string): Promise<Buffer> {
  const r = await runTool(
    "ffprobe",
    ["-hide_banner", "-v", "error", ...inputArgs(src), "-select_streams", String(index), "-show_entries", "stream=extradata", "-show_data", "-of", "json"],
    { timeoutMs: 60_000, maxOutputBytes: 16 * 1024 * 1024 },
  );
  if (r.code !== 0) throw new BadFileError(damaged, new Error(`ffprobe (extradata of ${index}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  const parsed = JSON.parse(r.stdout.toString("utf8")) as { streams?: Array<{ extradata?: string }> };
  return fromDump(parsed.streams?.[0]?.extradata ?? "");
}

/** The bytes of ffprobe's hex dump of a stream's extradata (`-show_data`). */
export function fromDump(dump: string): Buffer {
  // Lines of "00000010: 5363 7269 ...  ascii": 8 groups of 4 hex digits after the offset.
  const hex = dump
    .split("\n")
    .filter((line) => /^[0-9a-f]{8}: /.test(line))
    .map((line) => line.slice(10, 49).replace(/ /g, ""))
    .join("");
  return Buffer.from(hex, "hex");
}
