import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./tools.js";

/**
 * A two-second chord encoded by ffmpeg as True Audio, with the APEv2 tag ffmpeg writes (a title,
 * artist and comment holding `marker`): the stream and the tag apart.
 */
export async function encodeTta(dir: string, marker: string): Promise<{ stream: Buffer; apeTag: Buffer }> {
  const file = path.join(dir, `chord-${crypto.randomUUID()}.tta`);
  await run("ffmpeg", [
    "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-f", "lavfi", "-i", "sine=frequency=660:duration=2",
    "-filter_complex", "amerge", "-ar", "44100", "-metadata", `title=${marker} title`, "-metadata", `artist=${marker} artist`,
    "-metadata", `comment=${marker} comment`, "-c:a", "tta", file,
  ]);
  const encoded = await fs.readFile(file);
  const tagAt = encoded.lastIndexOf(Buffer.from("APETAGEX", "latin1"), encoded.length - 32 - 1);
  if (encoded.toString("latin1", 0, 4) !== "TTA1" || tagAt < 0) throw new Error("ffmpeg wrote no TTA1 stream with an APE tag");
  return { stream: encoded.subarray(0, tagAt), apeTag: encoded.subarray(tagAt) };
}
