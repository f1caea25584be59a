import path from "node:path";
import { ffmpegQuiet, run } from "./tools.js";

/**
 * A second of a tone as ffmpeg writes a Sun/NeXT audio file: its `metadata` ("title=...",
 * "artist=...", "comment=...") go into the annotation between the header and the samples, the
 * one place the format has for text, so that is where a marker lands.
 */
export async function ffmpegAu(dir: string, name: string, codec: string, ...metadata: string[]): Promise<string> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", codec, ...metadata.flatMap((m) => ["-metadata", m]), file]);
  return file;
}
