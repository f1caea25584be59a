import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { captionsOf, frameSideData, identificationSeiNal, keptSideData, makeSeiStream, type SeiCodec } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { withUnitTails, withUnreadUnits } from "./helpers/plant-nal.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * A bare H.264 or HEVC stream (`.h264`, `.264`, `.hevc`, `.h265`: what dash cams, drones, CCTV
 * recorders and `ffmpeg -c:v copy` write) was refused as a type ExifTool does not know. Its SEI
 * user data carries what a container's does (the encoder's identification and options, a
 * camera's position and time on every frame), and its parameter sets can carry bytes past their
 * last field. They go in place: the copy is as long as the file and decodes to the same frames,
 * the captions and HDR messages of the same SEI units kept.
 */

let server: RunningServer;
let dir: string;
const MARKER = `BareNal${crypto.randomBytes(6).toString("hex")}`;
const SPS: Record<SeiCodec, number> = { h264: 7, hevc: 33 };

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bare-nal-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The stream copied into an MP4 at 10 frames a second, as it was made. */
async function inMp4(stream: string): Promise<string> {
  const codec = path.extname(stream).slice(1);
  const mp4 = `${stream}.mp4`;
  await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", codec, "-i", stream, "-c", "copy", mp4]);
  return mp4;
}

describe("bare H.264 and HEVC streams", () => {
  it.each<SeiCodec>(["h264", "hevc"])("%s: every user data message and the sequence parameter sets' tails go; same length, same frames, captions and HDR kept", async (codec) => {
    const planted = withUnitTails(await fs.readFile(await makeSeiStream(dir, codec, MARKER)), codec, [SPS[codec]], Buffer.from(`tail ${MARKER}`, "latin1"));
    expect(planted.count).toBeGreaterThan(0);
    const file = path.join(dir, `planted.${codec}`);
    await fs.writeFile(file, planted.stream);

    // ffmpeg hands captions on from a stream with timestamps: both are read through an MP4.
    const captions = await captionsOf(await inMp4(file));
    expect(captions.text).toContain("HI");

    const findings = await findingsViaApi(server, `clip.${codec}`, planted.stream);
    const userData = findings.find((f) => f.tags?.includes(`${codec}:UserData`));
    expect(userData?.kind).toBe("hidden");

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const copy = await fs.readFile(out);
    expect(copy.length).toBe(planted.stream.length);
    expect(copy.includes(codec === "h264" ? "x264 - core" : "x265 (build", 0, "latin1")).toBe(false);
    // Ten positions, two identifications, the encoder's own.
    expect(removed["seiUserData"]).toBeGreaterThanOrEqual(13);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    expect(await captionsOf(await inMp4(out))).toEqual(captions);
    const sideData = await frameSideData(out);
    expect(sideData).not.toContain("User Data Unregistered");
    expect(keptSideData(sideData)).toEqual(keptSideData(await frameSideData(file)));
  }, 60_000);

  it("a user data unit cut by the cleaner's 1 MiB window is cleaned whole; a stream of several windows keeps its frames", async () => {
    const plain = path.join(dir, "big.h264");
    const noise = "testsrc=size=640x480:rate=25:duration=1,noise=alls=60:allf=t+u";
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", noise, "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-f", "h264", plain]);
    const bytes = await fs.readFile(plain);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    // A unit put at the last start code before the first window ends, long enough to run past it.
    const window = 1024 * 1024;
    const at = bytes.subarray(0, window - 16).lastIndexOf(Buffer.from([0, 0, 1]));
    const straddling = Buffer.concat([Buffer.from([0, 0, 1]), identificationSeiNal(MARKER, "h264", window - at + 4000)]);
    const file = path.join(dir, "straddling.h264");
    await fs.writeFile(file, Buffer.concat([bytes.subarray(0, at), straddling, bytes.subarray(at)]));

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(removed["seiUserData"]).toBe(2);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 120_000);

  // Decoders must ignore units of the types the standards reserve, and filler data's bytes are
  // meant to be all ones: both are places a writer can leave anything in.
  it.each<SeiCodec>(["h264", "hevc"])("%s: units of reserved and unspecified types, filler units and units with the forbidden bit set holding text are made filler; a true filler unit and a Dolby Vision one stay as they are", async (codec) => {
    const { stream: planted, trueFiller, dolbyVision } = withUnreadUnits(await fs.readFile(await makeSeiStream(dir, codec, MARKER, "unread")), codec, MARKER);
    const file = path.join(dir, `unread.${codec}`);
    await fs.writeFile(file, planted);
    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(removed["unreadUnits"]).toBe(4);
    const copy = await fs.readFile(out);
    expect(copy.length).toBe(planted.length);
    expect(copy.indexOf(trueFiller)).toBe(planted.indexOf(trueFiller));
    expect(copy.indexOf(dolbyVision)).toBe(planted.indexOf(dolbyVision));
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  it("a user data unit longer than any encoder writes: refused as too complex", async () => {
    const stream = await fs.readFile(await makeSeiStream(dir, "h264", MARKER, "long"));
    const file = path.join(dir, "long-unit.h264");
    await fs.writeFile(file, Buffer.concat([stream, Buffer.from([0, 0, 1]), identificationSeiNal(MARKER, "h264", 600_000)]));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
  }, 60_000);

  // A start code put where no unit starts (in a damaged stream, or by a hand) makes the text after
  // it a unit of a parameter set's type that cannot be read: what a decoder makes of it cannot be told.
  it("a unit of a parameter set's type that cannot be read and holds text: refused as damaged", async () => {
    const stream = await fs.readFile(await makeSeiStream(dir, "hevc", MARKER, "text-unit"));
    const file = path.join(dir, "text-unit.hevc");
    // Fixed text: with the run's random marker, some texts happen to read as an SPS whose fields
    // end early, and its tail is then zeroed instead (a clean copy, but not this case).
    await fs.writeFile(file, Buffer.concat([stream, Buffer.from([0, 0, 1, 0x42, 0x01, 0x01, 0x01]), Buffer.from("Recorded by a camera of serial 0042", "latin1")]));
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The video stream is damaged and could not be read.");
  }, 60_000);
});
