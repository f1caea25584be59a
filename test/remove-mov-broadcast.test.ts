import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quickTimeTags, streamHash, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { appendInside, replacePayload } from "./helpers/plant-boxes.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Broadcast and professional QuickTime movies (ProRes, DV, MPEG-2 as IMX/XDCAM/HDV): ffmpeg's
 * remux writes a `tapt` box (the track's aperture dimensions) for anamorphic video, a `glbl` box
 * (MPEG-2's sequence headers) and an `stps` table (an open GOP's key frames). ExifTool reads them as
 * ProductionApertureDimensions, EncodedPixelsDimensions, Unknown_glbl and PartialSyncSamples, and
 * every such file was refused 'could not be removed completely' (35 in last session's sweep;
 * these tests fail on main). The `glbl` box is the input's codec configuration copied along, so
 * its user data and the bytes past its fields must not survive.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Broadcast${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mov-broadcast-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const CODECS: Record<string, string[]> = {
  ProRes: ["-c:v", "prores_ks"],
  DV: ["-c:v", "dvvideo", "-pix_fmt", "yuv420p"],
  // B-frames in open GOPs (`stps`).
  "MPEG-2": ["-c:v", "mpeg2video", "-bf", "2", "-g", "12"],
};

/**
 * IMX: each frame in a D-10 picture element's key and length, as Sony's tools write it (the copy's
 * `glbl` starts with them), at the 608 lines D-10 stores.
 */
const IMX = ["-vf", "pad=720:608:0:32", "-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-g", "1", "-b:v", "30M", "-bsf:v", "imxdump", "-tag:v", "mx3p"];

/**
 * A 16:9 PAL movie (720x576, non-square pixels) with sound, user data, XMP, keys and a position
 * holding MARKER. Copied once more by ffmpeg, as editing software hands such files on: the copy
 * gets MPEG-2's sequence headers as its codec configuration (`glbl`).
 */
async function makeMovie(codec: string, encode: string[] = CODECS[codec]!, sampleEntryBox?: Buffer): Promise<string> {
  const encoded = path.join(dir, `${crypto.randomUUID()}.mov`);
  await run("ffmpeg", [
    ...ffmpegQuiet,
    "-f", "lavfi", "-i", "testsrc=size=720x576:rate=25:duration=1",
    "-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=48000",
    ...encode, "-aspect", "16:9", "-c:a", "pcm_s16le", "-shortest", "-f", "mov", encoded,
  ]);
  if (sampleEntryBox != null) await appendInside(encoded, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry"], sampleEntryBox);
  const file = path.join(dir, `${crypto.randomUUID()}.mov`);
  await run("ffmpeg", [...ffmpegQuiet, "-i", encoded, "-map", "0", "-c", "copy", "-metadata", `title=${MARKER}`, "-metadata:s:v", `handler_name=${MARKER}`, "-f", "mov", file]);
  await quickTimeTags(file, MARKER);
  return file;
}

/** What a player needs of the picture's shape: size and pixel aspect. */
async function shape(file: string): Promise<string> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "V", "-show_entries", "stream=width,height,sample_aspect_ratio", "-of", "csv=p=0", file]);
  return stdout.toString("utf8").trim();
}

/** The cleaned copy of `file` through the API, which must be a 200 with nothing remaining and none of MARKER. */
async function cleaned(file: string): Promise<{ out: string; removed: Record<string, number> }> {
  const copy = await cleanedCopyViaApi(server, file, dir);
  expect(await findMarker(copy.out, MARKER)).toEqual([]);
  return copy;
}

/** The copy decodes to the same frames (ffmpeg's framemd5 of the decoded pictures), with the same sound samples and shape. */
async function expectSameContent(out: string, file: string): Promise<void> {
  expect(await streamKinds(out)).toEqual(await streamKinds(file));
  expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  expect(await streamHash(out, "0:a")).toBe(await streamHash(file, "0:a"));
  expect(await shape(out)).toBe(await shape(file));
}

/** The payload of a `glbl` box with `extra` appended (sizes of the boxes around it grown). */
async function appendToGlobalHeader(file: string, extra: Buffer): Promise<void> {
  await replacePayload(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "glbl"], (payload) => Buffer.concat([payload, extra]));
}

/** A JPEG 2000 header box (ISO/IEC 15444-1 I.5.3) of three 8-bit components in sRGB. */
function jp2Header(width: number, height: number): Buffer {
  const box = (type: string, payload: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + payload.length, 0);
    head.write(type, 4, "latin1");
    return Buffer.concat([head, payload]);
  };
  const ihdr = Buffer.alloc(14);
  ihdr.writeUInt32BE(height, 0);
  ihdr.writeUInt32BE(width, 4);
  ihdr.writeUInt16BE(3, 8);
  ihdr.writeUInt8(7, 10);
  ihdr.writeUInt8(7, 11);
  return box("jp2h", Buffer.concat([box("ihdr", ihdr), box("colr", Buffer.from([1, 0, 0, 0, 0, 0, 16]))]));
}

// Each case makes, cleans and decodes whole movies: over a minute on a busy machine.
const SLOW = 240_000;

describe("broadcast QuickTime movies", () => {
  it.each(Object.keys(CODECS))("%s, anamorphic: cleaned, its aperture dimensions kept, frames decoding the same", async (codec) => {
    const file = await makeMovie(codec);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { out } = await cleaned(file);
    const left = await exiftool(["-s", "-QuickTime:ProductionApertureDimensions", "-QuickTime:EncodedPixelsDimensions", out]);
    expect(left).toContain("1024x576");
    expect(left).toContain("720x576");
    await expectSameContent(out, file);
  }, SLOW);

  it("MPEG-2: the user data and the bytes past the fields of its sequence headers (glbl) go, the frames decode the same", async () => {
    const file = await makeMovie("MPEG-2");
    // A user data unit (ISO/IEC 13818-2 6.2.2.2.2), then bytes no start code announces, which run on the last unit.
    await appendToGlobalHeader(file, Buffer.concat([Buffer.from([0, 0, 1, 0xb2]), Buffer.from(`Camera ${MARKER}`, "latin1")]));
    const tail = await makeMovie("MPEG-2");
    await appendToGlobalHeader(tail, Buffer.from(MARKER, "latin1"));
    for (const planted of [file, tail]) {
      expect(await exiftool(["-s", "-QuickTime:Unknown_glbl", "-u", planted])).toContain("Unknown_glbl");
      const { out, removed } = await cleaned(planted);
      await expectSameContent(out, planted);
      if (planted === file) expect(removed["mpegVideoUserData"]).toBe(1);
    }
  }, SLOW);

  it("IMX: the user data of the MPEG-2 headers behind the D-10 key (glbl) goes, the key stays, the frames decode the same", async () => {
    const file = await makeMovie("IMX", IMX);
    await appendToGlobalHeader(file, Buffer.concat([Buffer.from([0, 0, 1, 0xb2]), Buffer.from(`Camera ${MARKER}`, "latin1")]));
    const { out, removed } = await cleaned(file);
    await expectSameContent(out, file);
    expect(removed["mpegVideoUserData"]).toBe(1);
    expect((await fs.readFile(out)).includes(Buffer.from("060e2b34010201010d010301050101", "hex"))).toBe(true);
  }, SLOW);

  it("JPEG 2000 whose sample entry holds its JP2 header (jp2h, which the copy carries as glbl): cleaned, the frames decode the same", async () => {
    const file = await makeMovie("JPEG 2000", ["-c:v", "jpeg2000", "-pix_fmt", "yuv444p"], jp2Header(720, 576));
    const { out } = await cleaned(file);
    await expectSameContent(out, file);
  }, SLOW);

  it("MPEG-2 whose glbl holds anything but MPEG-2 headers: refused, never handed back", async () => {
    const file = await makeMovie("MPEG-2");
    await replacePayload(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "glbl"], () => Buffer.from(`Camera ${MARKER}`, "latin1"));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
  }, SLOW);
});
