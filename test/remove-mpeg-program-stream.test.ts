import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * MPEG program streams (.mpg, .vob, a DVD camcorder's recordings) were an unsupported type. Their
 * metadata rides in packets beside the picture and sound: a DVD recorder's private data packets
 * (recording date, camera settings), padding packets, streams of no known kind. The copy keeps
 * the picture and sound streams as they decode, and nothing else.
 */

let server: RunningServer;
let dir: string;
const MARKER = "ProgramStream7741";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mpeg-ps-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** Two seconds of MPEG video and sound in a program stream written by ffmpeg's `muxer`. */
async function programStream(name: string, muxer: "vob" | "mpeg", video: string, audio: string): Promise<string> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=d=2:s=352x288:r=25", "-f", "lavfi", "-i", "sine=d=2", "-c:v", video, "-c:a", audio, "-f", muxer, file]);
  return file;
}

/** A PES packet of stream `id` (0xBF private stream 2, 0xBE padding) holding `payload`. */
function pes(id: number, payload: Buffer): Buffer {
  const head = Buffer.from([0, 0, 1, id, 0, 0]);
  head.writeUInt16BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** The file with `packets` put in before its second pack header, as part of the first pack. */
async function withPackets(file: string, packets: readonly Buffer[]): Promise<string> {
  const bytes = await fs.readFile(file);
  const second = bytes.indexOf(Buffer.from([0, 0, 1, 0xba]), 4);
  expect(second).toBeGreaterThan(0);
  const out = file.replace(/(\.\w+)$/, "-planted$1");
  await fs.writeFile(out, Buffer.concat([bytes.subarray(0, second), ...packets, bytes.subarray(second)]));
  return out;
}

async function decoded(file: string, stream: "v" | "a"): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", `0:${stream}`, "-f", stream === "v" ? "framemd5" : "md5", "-"])).stdout.toString("utf8");
}

async function cleaned(file: string): Promise<Buffer> {
  const outcome = await removeViaApi(server, file);
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  return outcome.cleaned!;
}

describe("POST /api/v1/remove on an MPEG program stream", () => {
  it("keeps an MPEG-2 stream's picture and AC-3 sound as they decode, and drops a private data packet and a padding packet", async () => {
    const marked = Buffer.from(`${MARKER} recorded 2019-05-04 12:30`, "latin1");
    const file = await withPackets(await programStream("dvd.vob", "vob", "mpeg2video", "ac3"), [pes(0xbf, marked), pes(0xbe, marked)]);
    expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);

    const copy = await cleaned(file);
    const out = path.join(dir, "cleaned.vob");
    await fs.writeFile(out, copy);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // An MPEG-2 pack header: its bits after the start code begin 01.
    expect(copy[4]! & 0xc0).toBe(0x40);
    expect(await decoded(out, "v")).toBe(await decoded(file, "v"));
    expect(await decoded(out, "a")).toBe(await decoded(file, "a"));
  });

  it("writes an MPEG-1 system stream back as one", async () => {
    const file = await withPackets(await programStream("old.mpg", "mpeg", "mpeg1video", "mp2"), [pes(0xbf, Buffer.from(MARKER, "latin1"))]);
    const copy = await cleaned(file);
    const out = path.join(dir, "cleaned.mpg");
    await fs.writeFile(out, copy);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // An MPEG-1 pack header: its bits after the start code begin 0010.
    expect(copy[4]! & 0xf0).toBe(0x20);
    expect(await decoded(out, "v")).toBe(await decoded(file, "v"));
    expect(await decoded(out, "a")).toBe(await decoded(file, "a"));
  });

  // A bare stream that opens with a header is cleaned (clean-bare-mpeg-video.test.ts); one cut
  // before its first GOP has no sequence header to start from.
  it("refuses an MPEG stream that starts with no pack or sequence header in words, as a type it does not clean", async () => {
    const bare = path.join(dir, "bare.m2v");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=d=1:s=64x48", "-c:v", "mpeg2video", "-f", "mpeg2video", bare]);
    const bytes = await fs.readFile(bare);
    const file = path.join(dir, "cut.m2v");
    await fs.writeFile(file, bytes.subarray(bytes.indexOf(Buffer.from([0, 0, 1, 0xb8]))));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("Metadata removal is not supported for this file type (MPEG stream with no header)");
  });
});
