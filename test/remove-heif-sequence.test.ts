import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childBoxes, makeHeif, moveItemLocations } from "./helpers/make-images.js";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, ffmpegQuiet, pixelSignature, run } from "./helpers/tools.js";

/*
 * A HEIF image sequence whose major brand is `msf1` (ExifTool's HEIFS), as Nokia's burst photos
 * are: HEVC frames in a `moov` track of handler `pict`, with or without a still picture in a
 * top-level `meta`. The type used to be refused. Debian's libheif (1.15) writes no sequence and
 * ffmpeg no HEIF `meta`, so the files are put together here: ffmpeg's HEVC movie, and heif-enc's
 * HEIC (ExifTool's tags in it) appended as the still picture. pillow_heif's nokia_bird_burst.heic
 * (Nokia's own) was checked the same way by hand: both tracks' frames and the still unchanged.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Heifseq${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heifs-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** ffmpeg's HEVC movie of brand msf1, its track's handler made `pict` (a picture sequence's) and named `marker`. */
async function hevcMovie(marker: string): Promise<Buffer> {
  const file = path.join(dir, `${crypto.randomUUID()}.heics`);
  await run("ffmpeg", [
    ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-frames:v", "4",
    "-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-brand", "msf1", "-metadata:s:v", `handler_name=${marker}`, "-f", "mp4", file,
  ]);
  const movie = await fs.readFile(file);
  const handler = movie.indexOf("vide", movie.indexOf("hdlr", 0, "latin1"), "latin1");
  if (handler < 0) throw new Error("no video handler in ffmpeg's movie");
  movie.write("pict", handler, "latin1");
  return movie;
}

/** The still picture as ImageMagick (libheif) decodes it from a copy named .heic (heif-convert refuses the brand msf1). */
async function stillSignature(file: string): Promise<string> {
  const still = path.join(dir, `still-${crypto.randomUUID()}.heic`);
  await fs.copyFile(file, still);
  return pixelSignature(still);
}

/** The frames of the movie's track, decoded. */
async function frames(file: string): Promise<string> {
  return streamHash(file, "0:v:0", true);
}

describe("a HEIF image sequence (brand msf1)", () => {
  it("with no still picture: cleaned as the movie it is, frames unchanged", async () => {
    const file = path.join(dir, "frames.heics");
    await fs.writeFile(file, await hevcMovie(MARKER));
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("HEIFS");
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await frames(out)).toBe(await frames(file));
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("HEIFS");
  }, 60_000);

  it("with a still picture beside HEVC frames: both sides cleaned, frames and still picture unchanged", async () => {
    const movie = await hevcMovie(MARKER);
    const heic = await fs.readFile(await makeHeif(await fs.mkdtemp(path.join(dir, "still-")), MARKER, "heic"));
    const [ftyp, meta, mdat] = childBoxes(heic, 0, heic.length);
    expect([ftyp?.type, meta?.type, mdat?.type]).toEqual(["ftyp", "meta", "mdat"]);
    // The HEIC's meta and mdat go after the movie, its items' offsets with them.
    moveItemLocations(heic, movie.length - ftyp!.size);
    // Compatible brands as Nokia's (mif1, heic): libheif reads no still picture of a file without them.
    const brands = (movie.readUInt32BE(0) - 16) / 4;
    expect(brands).toBeGreaterThanOrEqual(2);
    ["mif1", "heic", "msf1", "hevc"].slice(0, brands).forEach((brand, i) => movie.write(brand, 16 + 4 * i, "latin1"));
    const file = path.join(dir, "burst.heic");
    await fs.writeFile(file, Buffer.concat([movie, heic.subarray(ftyp!.size)]));
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("HEIFS");
    expect(await exiftool(["-s3", "-EXIF:Artist", file])).toContain(MARKER);
    const still = await stillSignature(file);

    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await frames(out)).toBe(await frames(file));
    expect(await stillSignature(out)).toBe(still);
  }, 60_000);
});
