import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaContent } from "./helpers/make-media.js";
import { expectQuickRefusal, HEALTH_MS, REFUSAL_MS, TOO_COMPLEX } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { watchService } from "./helpers/watch-service.js";

/**
 * Movies whose sample tables make each reader of samples (ExifTool's -ee read, the cleaner's walks
 * of NAL units, ffmpeg) read far more than the file holds: a quick 422 for extraction and removal,
 * while recordings with their own tables, timed text included, are still cleaned.
 */

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-samples-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, body]);
}

function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeUInt32BE(v, 4 * i));
  return out;
}

/** How a track's samples are laid out: `chunks` chunk offsets into the media data, `perChunk` samples each of `size` bytes. */
interface Layout {
  chunks: number[];
  perChunk: number;
  size: number;
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl"]);

/**
 * `file` (ffmpeg's, one track of handler `handler` among others) with that track's sample tables
 * replaced by `layout` (offsets relative to the start of `media`, appended as the only media data)
 * and the other tracks' samples dropped with their media.
 */
function withLayout(file: Buffer, handler: string, layout: (mediaAt: number) => Layout, media: Buffer, count: number): Buffer {
  const build = (mediaAt: number): Buffer => {
    const l = layout(mediaAt);
    const tables = [
      box("stts", u32(0, 1, count, 1)),
      box("stsc", u32(0, 1, 1, l.perChunk, 1)),
      box("stsz", u32(0, l.size, count)),
      box("stco", u32(0, l.chunks.length, ...l.chunks)),
    ];
    const walk = (from: number, to: number, inTrack: boolean): Buffer[] => {
      const out: Buffer[] = [];
      for (let at = from; at + 8 <= to; ) {
        const size = file.readUInt32BE(at);
        const type = file.toString("latin1", at + 4, at + 8);
        const whole = file.subarray(at, at + size);
        if (type === "trak") {
          // The media's handler comes first (mdia before minf), after version, flags and a component type.
          const hdlr = whole.indexOf("hdlr", 0, "latin1");
          if (whole.toString("latin1", hdlr + 12, hdlr + 16) === handler) out.push(box("trak", ...walk(at + 8, at + size, true)));
        } else if (type === "stbl" && inTrack) {
          const stsd = walk(at + 8, at + size, true).filter((b) => b.toString("latin1", 4, 8) === "stsd");
          out.push(box("stbl", ...stsd, ...tables));
        } else if (CONTAINERS.has(type)) out.push(box(type, ...walk(at + 8, at + size, inTrack)));
        else if (type !== "mdat") out.push(Buffer.from(whole));
        at += size;
      }
      return out;
    };
    return Buffer.concat(walk(0, file.length, false));
  };
  const head = build(0);
  return Buffer.concat([build(head.length + 8), box("mdat", media)]);
}

/** An ffmpeg movie of H.264 video, and a QuickTime text track when `text` (handler `text` in a MOV). */
async function movie(name: string, text: boolean): Promise<Buffer> {
  const file = path.join(dir, name);
  const inputs = ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:d=2"];
  if (text) {
    const srt = path.join(dir, "cues.srt");
    await fs.writeFile(srt, "1\n00:00:00,000 --> 00:00:01,000\nfirst cue\n\n2\n00:00:01,000 --> 00:00:02,000\nsecond cue\n");
    inputs.push("-i", srt);
  }
  await run("ffmpeg", [...ffmpegQuiet, ...inputs, "-c:v", "libx264", "-pix_fmt", "yuv420p", ...(text ? ["-c:s", "mov_text"] : []), file]);
  return fs.readFile(file);
}

/** `movie`'s text track holding `count` four-byte cues ("ab") one after another in one chunk. */
function withTextCues(movie: Buffer, count: number): Buffer {
  const cues = Buffer.alloc(4 * count);
  for (let i = 0; i < count; i++) cues.write("\0\u0002ab", 4 * i, "latin1");
  return withLayout(movie, "text", (at) => ({ chunks: [at], perChunk: count, size: 4 }), cues, count);
}

/** An extraction watched as removals are: status, time, /healthz meanwhile. */
async function extractWatched(name: string, data: Buffer) {
  const started = Date.now();
  const watched = await watchService(server, async () => {
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  });
  return { ...watched, ms: Date.now() - started };
}

async function expectRefusedBoth(name: string, data: Buffer): Promise<void> {
  const extraction = await extractWatched(name, data);
  expect(extraction.result.status, name).toBe(422);
  expect(extraction.result.body["error"]).toBe(TOO_COMPLEX);
  expect(extraction.ms).toBeLessThan(REFUSAL_MS);
  expect(extraction.slowestHealthMs).toBeLessThan(HEALTH_MS);
  await expectQuickRefusal(server, dir, name, data);
}

describe("sample tables that read the same bytes over and over", () => {
  it("100,000 chunks of a video track that all point at the same 4 MB (a 4.4 MB file) are a quick 422 (removal ran to the request's deadline)", async () => {
    const base = await movie("video.mp4", false);
    const size = 4_000_000;
    // One NAL unit after another, each empty: the walk of a sample's NAL units takes a million steps.
    const data = withLayout(base, "vide", (at) => ({ chunks: Array<number>(100_000).fill(at), perChunk: 1, size }), Buffer.alloc(size), 100_000);
    await expectRefusedBoth("same-bytes.mp4", data);
  }, 120_000);

  it("100,000 four-byte samples of timed text (a 400 kB MOV) are a quick 422 (ExifTool: 23 s of CPU and 374 MB, past its timeout on a busy machine)", async () => {
    const base = await movie("text.mov", true);
    const data = withTextCues(base, 100_000);
    await expectRefusedBoth("many-cues.mov", data);
  }, 120_000);

  it("a Novatek GPS list (moov/gps) of 20,000 places over the same 4 MB is a quick 422 (ExifTool read them to its 60 s timeout)", async () => {
    const base = await movie("novatek.mp4", false); // ffmpeg writes moov last: nothing moves when it grows
    const moovAt = base.indexOf("moov", 0, "latin1") - 4;
    const count = 20_000;
    const size = 4_000_000;
    const list = box("gps ", u32(0x101, count), Buffer.concat(Array<Buffer>(count).fill(u32(0, size))));
    const moov = base.subarray(moovAt);
    // ExifTool reads the list only where no track has named a handler yet: first in moov.
    const grown = Buffer.concat([base.subarray(0, moovAt), box("moov", list, moov.subarray(8))]);
    const dataAt = grown.length + 8;
    for (let i = 0; i < count; i++) list.writeUInt32BE(dataAt, 16 + 8 * i);
    const data = Buffer.concat([base.subarray(0, moovAt), box("moov", list, moov.subarray(8)), box("free", Buffer.alloc(size, 0x55))]);
    await expectRefusedBoth("novatek.mp4", data);
  }, 120_000);

  it("a movie's own tables pass: ffmpeg's MOV of video and a timed text track, and the same text track at 2,000 cues, are cleaned", async () => {
    const base = await movie("own.mov", true);
    const many = withTextCues(base, 2_000);
    for (const [name, data] of [["own.mov", base], ["cues.mov", many]] as const) {
      const file = path.join(dir, `sent-${name}`);
      await fs.writeFile(file, data);
      const { status, body, cleaned } = await removeViaApi(server, file, name);
      expect(status, JSON.stringify(body)).toBe(200);
      const out = path.join(dir, `cleaned-${name}`);
      await fs.writeFile(out, cleaned!);
      expect(await mediaContent(out)).toEqual(await mediaContent(file));
    }
  }, 120_000);
});
