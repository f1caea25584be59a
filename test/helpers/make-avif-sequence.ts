import fs from "node:fs/promises";
import path from "node:path";
import { box, commonTags, moveItemLocations } from "./make-images.js";
import { appendInside } from "./plant-boxes.js";
import { exiftool, ffmpegQuiet, run } from "./tools.js";

/**
 * An AVIF image sequence (`.avifs`: brand `avis`, a still picture in `meta` and the frames in a
 * `moov` track) made by ffmpeg's AVIF muxer from 4 frames of its test pattern, with `marker` in
 * every place metadata goes on either side:
 * - the still picture's Exif (GPS included) and XMP items, written by ExifTool while the major
 *   brand says `avif` (for a sequence it writes only the movie's tags);
 * - the movie's user data (`udta`), keyed metadata (`meta` with `keys`), an XMP `uuid` box at the
 *   top level (ExifTool), the track's handler name (ffmpeg) and user data in the track (planted).
 */
export async function makeAvifSequence(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, "in.avifs");
  await run("ffmpeg", [
    ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-frames:v", "4",
    "-c:v", "libaom-av1", "-cpu-used", "8", "-metadata:s:v", `handler_name=${marker}`, "-f", "avif", file,
  ]);
  await setMajorBrand(file, "avif");
  await exiftool(["-q", "-overwrite_original", ...commonTags(marker), file]);
  await setMajorBrand(file, "avis");
  await exiftool(["-q", "-overwrite_original", `-UserData:Artist=${marker}`, `-Keys:Author=${marker}`, `-ItemList:Comment=${marker}`, `-XMP-dc:Title=${marker}`, file]);
  // A QuickTime text item: its length, a language code (English), the text.
  const text = Buffer.from(marker, "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt16BE(text.length, 0);
  head.writeUInt16BE(0x15c7, 2);
  const trackName = box("udta", box("\xa9nam", Buffer.concat([head, text])));
  await appendInside(file, ["moov", "trak"], trackName);
  // The track's user data went in before the media data: the still picture's items moved with it.
  const moved = await fs.readFile(file);
  moveItemLocations(moved, trackName.length);
  await fs.writeFile(file, moved);
  return file;
}

async function setMajorBrand(file: string, brand: string): Promise<void> {
  const b = await fs.readFile(file);
  if (b.toString("latin1", 4, 8) !== "ftyp") throw new Error("no ftyp box first");
  b.write(brand, 8, "latin1");
  await fs.writeFile(file, b);
}
