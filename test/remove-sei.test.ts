import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { captionsOf, frameSideData, identificationSeiNal, keptSideData, makeSeiVideo, type SeiCodec, type SeiContainer } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { badMatroskaCrcs } from "./helpers/matroska-crc.js";
import { replacePayload } from "./helpers/plant-boxes.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Seimark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-sei-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Case {
  codec: SeiCodec;
  container: SeiContainer;
  /** User-data messages: the encoder's own, a position on each of the 10 pictures, the planted identification on two. */
  userData: number;
}

// Every container the service cleans that carries H.264 (WebM cannot); HEVC in the main ones
// whose ffmpeg 5.1 muxer writes it (not ASF or FLV).
const cases: Case[] = [
  ...(["mp4", "mov", "mkv", "avi", "ts", "m2ts", "asf", "flv"] as const).map((container) => ({ codec: "h264" as const, container, userData: 13 })),
  ...(["mp4", "mkv", "ts"] as const).map((container) => ({ codec: "hevc" as const, container, userData: 13 })),
];

/** The side data of the decoded pictures, user data (which must go) left out. */
describe("SEI user data in H.264 and HEVC", () => {
  it.each(cases)(
    "$codec in $container: the identification strings go, captions and HDR stay, decoded frames identical",
    async ({ codec, container, userData }) => {
      const file = await makeSeiVideo(dir, codec, container, MARKER);
      const bytes = await fs.readFile(file);
      expect(await findMarker(file, MARKER)).not.toEqual([]);
      expect(bytes.includes(codec === "h264" ? "x264 - core" : "x265 (build")).toBe(true);
      const captions = await captionsOf(file);
      expect(captions.text).toContain("HI");
      const sideData = await frameSideData(file);
      expect(sideData).toContain("User Data Unregistered");
      if (codec === "hevc") expect(sideData).toContain("Mastering display metadata");

      const { status, body, cleaned } = await removeViaApi(server, file);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      expect(body["removed"]).toMatchObject({ seiUserData: userData });
      const out = path.join(dir, `cleaned-${codec}.${container}`);
      await fs.writeFile(out, cleaned!);

      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(cleaned!.includes("x264 - core")).toBe(false);
      expect(cleaned!.includes("x265 (build")).toBe(false);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
      // The captions reach the decoder as they were, packet for packet, and still read "HI".
      expect(await captionsOf(out)).toEqual(captions);
      const sideDataAfter = await frameSideData(out);
      expect(sideDataAfter).not.toContain("User Data Unregistered");
      expect(keptSideData(sideDataAfter)).toEqual(keptSideData(sideData));
      // Patched after muxing, the copy's checksums must still hold.
      if (container === "mkv") expect(await badMatroskaCrcs(out)).toEqual([]);
    },
    60_000,
  );

  // The box rewrite finds SEI through the sample tables, which never reach the avcC; the remux
  // (Matroska) finds it through mp4toannexb, which hands on the avcC's units only before a
  // picture that has no parameter sets of its own (these streams carry theirs, as encoders that
  // repeat them do), and never those of the SPS extension. Matroska copies the avcC whole into
  // its CodecPrivate, where the unit came back with its text before the record itself was read.
  it.each([
    { container: "mp4", place: "parameter sets" },
    { container: "mp4", place: "SPS extension" },
    { container: "mkv", place: "parameter sets" },
    { container: "mkv", place: "SPS extension" },
  ] as const)("h264 in $container with an SEI unit among the avcC's $place: it goes too, decoded frames identical", async ({ container, place }) => {
    const file = await makeSeiVideo(dir, "h264", "mp4", MARKER);
    const second = `Avccmark${crypto.randomBytes(6).toString("hex")}`;
    await replacePayload(file, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "avcC"], (avcc) => withAvccSei(avcc, identificationSeiNal(second), place));
    const planted = container === "mp4" ? file : path.join(dir, `avcc-sei-${place.replace(/ /g, "-")}.${container}`);
    if (planted !== file) await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0", "-c", "copy", planted]);
    expect(await findMarker(planted, second)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, planted);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-avcc-sei.${container}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, second)).toEqual([]);
    expect((body["removed"] as Record<string, number>)["seiUserData"]).toBeGreaterThanOrEqual(14);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(planted, "0:V", true));
    if (container === "mkv") expect(await badMatroskaCrcs(out)).toEqual([]);
  }, 60_000);
});

/** An avcC with `nal` added after its SPS (counted among them), or as the one unit of its SPS extension (High 4:4:4's record ends with an empty one). */
function withAvccSei(avcc: Buffer, nal: Buffer, place: "parameter sets" | "SPS extension"): Buffer {
  const entry = Buffer.concat([Buffer.from([nal.length >> 8, nal.length & 0xff]), nal]);
  if (place === "SPS extension") {
    if (avcc[avcc.length - 1] !== 0 || avcc[1]! < 100) throw new Error(`expected an avcC ending in an empty SPS extension, got ${avcc.toString("hex")}`);
    return Buffer.concat([avcc.subarray(0, avcc.length - 1), Buffer.from([1]), entry]);
  }
  let at = 6;
  for (let n = 0; n < (avcc[5]! & 0x1f); n++) at += 2 + avcc.readUInt16BE(at);
  const out = Buffer.concat([avcc.subarray(0, at), entry, avcc.subarray(at)]);
  out[5] = (out[5]! & 0xe0) | ((out[5]! & 0x1f) + 1);
  return out;
}
