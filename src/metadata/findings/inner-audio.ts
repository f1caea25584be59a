import fs from "node:fs";
import { id3v2Length, trailingTags } from "../../cleaners/media/audio-tags.js";
import { MAX_RIFF_CHUNKS } from "../../cleaners/media/riff-screen.js";
import { FileBytes } from "../../cleaners/file-bytes.js";
import { copyCounted } from "./inner-copy.js";
import { coverSourceFor, id3PicturesAt } from "./inner-cover.js";
import type { InnerSource } from "./inner-types.js";

/** Tags peeled off an audio file's end at the most, looking for ID3v2 ones (real files end in two or three). */
const MAX_TRAILING = 1000;

/**
 * Audio files' inner files: their cover art (inner-cover.ts); the pictures of the ID3v2 tag in a
 * WAV's `id3 ` or an AIFF's `ID3 ` chunk, whose text ExifTool reads but not its pictures; and an
 * ID3v2 tag appended to an MP3's or FLAC's audio (marked by its footer, before an ID3v1 or APE
 * tag or last), which ExifTool does not read at all and players do: it is looked into as a file of
 * its own, "ID3v2 tag at the end", with its pictures inside it.
 */
export function audioSourceFor(fileType: string): InnerSource | null {
  if (fileType === "WAV" || fileType === "AIFF" || fileType === "AIFC") return id3PicturesAt(id3Chunk);
  const covers = coverSourceFor(fileType);
  if (fileType !== "MP3" && fileType !== "FLAC") return covers;
  return async (file, scratch, visit) => (covers == null ? 0 : await covers(file, `${scratch}-covers`, visit)) + (await appendedId3(file, visit));
}

/** Where the tag of a RIFF (WAV) or IFF (AIFF) file's first ID3 chunk starts; null without one. */
async function id3Chunk(src: FileBytes): Promise<number | null> {
  const head = await src.read(0, 12);
  const form = head.toString("latin1", 0, 4);
  if (head.length < 12 || (form !== "RIFF" && form !== "FORM")) return null;
  let at = 12;
  for (let n = 0; n < MAX_RIFF_CHUNKS && src.size - at >= 8; n++) {
    const chunk = await src.read(at, 8);
    const id = chunk.toString("latin1", 0, 4);
    if (id === "id3 " || id === "ID3 ") return at + 8;
    const size = form === "RIFF" ? chunk.readUInt32LE(4) : chunk.readUInt32BE(4);
    at += 8 + size + (size % 2);
  }
  return null;
}

/** The footer-marked ID3v2 tags among those appended to the audio, each a file of its own; resolves to how many were past the bound. */
async function appendedId3(file: string, visit: Parameters<InnerSource>[2]): Promise<number> {
  const src = await FileBytes.open(file);
  const tags: Array<{ at: number; length: number }> = [];
  try {
    let peeled = 0;
    for await (const tag of trailingTags(src, await id3v2Length(src, 0))) {
      if (++peeled > MAX_TRAILING) break;
      if (tag.length >= 20 && (await src.read(tag.at, 3)).toString("latin1") === "ID3" && (await src.read(tag.at + tag.length - 10, 3)).toString("latin1") === "3DI") {
        tags.push(tag);
      }
    }
  } finally {
    await src.close();
  }
  for (const [i, tag] of tags.entries()) {
    await visit({
      name: i === 0 ? "ID3v2 tag at the end" : `ID3v2 tag at the end ${i + 1}`,
      claimedSize: tag.length,
      copyTo: (dest, maxBytes) => copyCounted(async () => fs.createReadStream(file, { start: tag.at, end: tag.at + tag.length - 1 }), dest, maxBytes),
    });
  }
  return 0;
}
