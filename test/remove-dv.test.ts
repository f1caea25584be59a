import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Raw DV (.dv, .dif: a camcorder's tape or card captured without a container) was refused as a
 * type no cleaner handles. Every frame carries, besides its pictures and sound, the recording
 * date and time (in its subcode and in its video and audio auxiliary data), a time code, user
 * bits and a consumer camera's settings, in 5-byte packs, and reserved bytes a writer can fill.
 */

let server: RunningServer;
let dir: string;
const MARKER = `DvHidden${crypto.randomBytes(5).toString("hex")}`;
const BLOCK = 80;
/** The packs the cleaner keeps: video source and source control, closed captions; audio source and source control; the time code; none. */
const KEPT = new Set([0x60, 0x61, 0x65, 0x50, 0x51, 0x13, 0xff]);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-dv-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Every pack of the file's DIF blocks, by its section: subcode (1), video auxiliary (2), audio (3). */
function packs(file: Buffer): Array<{ section: number; at: number }> {
  const found: Array<{ section: number; at: number }> = [];
  for (let b = 0; b + BLOCK <= file.length; b += BLOCK) {
    const section = file[b]! >> 5;
    if (section === 1) for (let s = 0; s < 6; s++) found.push({ section, at: b + 6 + s * 8 });
    if (section === 2) for (let p = 0; p < 15; p++) found.push({ section, at: b + 3 + p * 5 });
    if (section === 3) found.push({ section, at: b + 3 });
  }
  return found;
}

/**
 * The file with `MARKER` in the reserved bytes of every header and subcode block, and in the
 * first frame a consumer camera's packs (exposure 0x70, focus 0x71) and a text pack of its own
 * where the video auxiliary data has room.
 */
function planted(file: Buffer): Buffer {
  const out = Buffer.from(file);
  for (let b = 0; b + BLOCK <= out.length; b += BLOCK) {
    const section = out[b]! >> 5;
    if (section === 0) out.write(MARKER, b + 8, "latin1");
    if (section === 1) out.write(MARKER.slice(0, 29), b + 51, "latin1");
  }
  const free = packs(out).filter((p) => p.section === 2 && out[p.at] === 0xff).slice(0, 3);
  [Buffer.from([0x70, 0xc4, 0x2a, 0x13, 0x7f]), Buffer.from([0x71, 0x3c, 0x05, 0xff, 0xff]), Buffer.from("\x49CAM7", "latin1")].forEach((pack, i) => pack.copy(out, free[i]!.at));
  return out;
}

async function md5(file: string, stream: string): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", stream, "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

describe("POST /api/v1/remove on raw DV", () => {
  it.each([
    ["PAL 4:2:0", "720x576", "25", "yuv420p", "10:11:12:13"],
    ["NTSC 4:1:1", "720x480", "30000/1001", "yuv411p", "10:11:12;13"],
  ])("%s: the recording date, camera and text packs and the reserved bytes' text go, the time code is zeroed; same length, same pictures and sound", async (_name, size, rate, pixels, timeCode) => {
    const made = path.join(dir, `made-${size}.dv`);
    await run("ffmpeg", [
      ...ffmpegQuiet, "-f", "lavfi", "-i", `testsrc=size=${size}:rate=${rate}:duration=1`, "-f", "lavfi", "-i", "sine=duration=1:sample_rate=48000",
      "-pix_fmt", pixels, "-ac", "2", "-metadata", "creation_time=2019-05-04T12:30:00Z", "-timecode", timeCode, made,
    ]);
    const file = path.join(dir, `planted-${size}.dv`);
    const bytes = planted(await fs.readFile(made));
    await fs.writeFile(file, bytes);
    expect(packs(bytes).filter((p) => bytes[p.at] === 0x62 || bytes[p.at] === 0x63).length).toBeGreaterThan(25);

    const findings = await findingsViaApi(server, "tape.dv", bytes);
    expect(findings.find((f) => f.kind === "time")?.tags).toContain("dv:DateTimeOriginal");

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    const copy = await fs.readFile(out);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(copy.length).toBe(bytes.length);
    expect(packs(copy).filter((p) => !KEPT.has(copy[p.at]!))).toEqual([]);
    expect(copy.includes("\x49CAM7", 0, "latin1")).toBe(false);
    expect(removed["dvPacks"]).toBeGreaterThan(25);
    expect(await md5(out, "0:v")).toBe(await md5(file, "0:v"));
    expect(await md5(out, "0:a")).toBe(await md5(file, "0:a"));
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format_tags=timecode", "-of", "default=nw=1:nk=1", out]);
    expect(stdout.toString("utf8").trim()).toMatch(/^00:00:00[:;]00$/);
  }, 60_000);

  it.each(["avi", "mov", "mkv"])("DV in %s: its frames are cleaned as raw DV's are, the container's remux having copied them byte for byte", async (container) => {
    const made = path.join(dir, `for-${container}.dv`);
    await run("ffmpeg", [
      ...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=720x576:rate=25:duration=1", "-f", "lavfi", "-i", "sine=duration=1:sample_rate=48000",
      "-pix_fmt", "yuv420p", "-ac", "2", "-metadata", "creation_time=2019-05-04T12:30:00Z", "-timecode", "10:11:12:13", made,
    ]);
    const raw = path.join(dir, `planted-for-${container}.dv`);
    await fs.writeFile(raw, planted(await fs.readFile(made)));
    const file = path.join(dir, `tape.${container}`);
    await run("ffmpeg", [...ffmpegQuiet, "-i", raw, "-c", "copy", file]);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(removed["dvPacks"]).toBeGreaterThan(25);
    const frames = path.join(dir, `frames-of-${container}.dv`);
    await run("ffmpeg", [...ffmpegQuiet, "-i", out, "-map", "0:v", "-c", "copy", "-f", "rawvideo", frames]);
    const copied = await fs.readFile(frames);
    expect(packs(copied).filter((p) => !KEPT.has(copied[p.at]!))).toEqual([]);
    expect(await md5(out, "0:v")).toBe(await md5(file, "0:v"));
    expect(await md5(out, "0:a")).toBe(await md5(file, "0:a"));
  }, 60_000);

  it("a file cut within its last block: the cut block goes", async () => {
    const made = path.join(dir, "cut-source.dv");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=720x576:rate=25:duration=1", "-pix_fmt", "yuv420p", made]);
    const bytes = planted(await fs.readFile(made));
    const file = path.join(dir, "cut.dv");
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 30));

    const { out } = await cleanedCopyViaApi(server, file, dir);
    const copy = await fs.readFile(out);
    expect(copy.length).toBe(bytes.length - BLOCK);
    expect(await findMarker(out, MARKER)).toEqual([]);
  }, 60_000);
});
