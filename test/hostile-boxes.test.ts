import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaContent, streamHash } from "./helpers/make-media.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { HEALTH_MS, REFUSAL_MS, removeBytesWatched, TOO_COMPLEX, TREE_MB } from "./helpers/quick-refusal.js";

/**
 * Files of millions of tiny structures, which cost ExifTool time and memory per structure: each
 * a quick 422 within bounded memory, while real files with many of them (fragmented recordings)
 * are still cleaned.
 */


let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-boxes-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

function box(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, payload]);
}

/** A one-second AAC M4A written by ffmpeg: ftyp, free, mdat, moov at the top level. */
async function m4a(): Promise<Buffer> {
  const file = path.join(dir, "base.m4a");
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", file]);
  return fs.readFile(file);
}

/** `file` with `extra` appended inside its (top-level) moov. */
function withInMoov(file: Buffer, extra: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    const size = file.readUInt32BE(at);
    const part = Buffer.from(file.subarray(at, at + size));
    if (part.toString("latin1", 4, 8) === "moov") {
      part.writeUInt32BE(size + extra.length);
      parts.push(part, extra);
    } else parts.push(part);
    at += size;
  }
  return Buffer.concat(parts);
}

const removeWatched = (name: string, data: Buffer) => removeBytesWatched(server, dir, name, data);

describe("QuickTime / ISO BMFF boxes", () => {
  it("an M4A of a million top-level 8-byte boxes (8 MB) is a quick 422 within bounded memory (was ExifTool's 60 s timeout, 746 MB)", async () => {
    const data = Buffer.concat([await m4a(), Buffer.concat(Array<Buffer>(1_000_000).fill(box("free")))]);
    const { result, ms, peakTreeMb, slowestHealthMs } = await removeWatched("free.m4a", data);
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe(TOO_COMPLEX);
    expect(ms).toBeLessThan(REFUSAL_MS);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 120_000);

  it("100,000 tiny boxes in moov's user data, items in an item list or uuid boxes are each a quick 422 (were 16-60 s)", async () => {
    const base = await m4a();
    const hdlr = box("hdlr", Buffer.concat([Buffer.alloc(8), Buffer.from("mdirappl", "latin1"), Buffer.alloc(9)]));
    const item = box("\xa9cmt", box("data", Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0x78])));
    const ilst = box("meta", Buffer.concat([Buffer.alloc(4), hdlr, box("ilst", Buffer.concat(Array<Buffer>(100_000).fill(item)))]));
    const files: Array<[string, Buffer]> = [
      ["udta.m4a", withInMoov(base, box("udta", Buffer.concat(Array<Buffer>(100_000).fill(box("zzzz")))))],
      ["ilst.m4a", withInMoov(base, box("udta", ilst))],
      ["uuid.m4a", Buffer.concat([base, Buffer.concat(Array<Buffer>(100_000).fill(box("uuid", Buffer.alloc(16))))])],
    ];
    for (const [name, data] of files) {
      const { result, ms, peakTreeMb } = await removeWatched(name, data);
      expect(result.status, name).toBe(422);
      expect(result.body["error"]).toBe(TOO_COMPLEX);
      expect(ms, name).toBeLessThan(REFUSAL_MS);
      expect(peakTreeMb).toBeLessThan(TREE_MB);
    }
  }, 120_000);

  it("a recording fragmented per frame (3,000 fragments, 21,000 boxes: more than the screen allows outside fragments) is still cleaned, its pictures and sound packets unchanged", async () => {
    const file = path.join(dir, "fragmented.mp4");
    await run("ffmpeg", [
      ...ffmpegQuiet,
      ...["-f", "lavfi", "-i", "testsrc=s=64x64:r=30:d=40", "-f", "lavfi", "-i", "sine=d=40"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-metadata", "title=fragmented-marker"],
      ...["-movflags", "frag_every_frame+empty_moov+default_base_moof", file],
    ]);
    const data = await fs.readFile(file);
    let fragments = 0;
    for (let at = 0; at < data.length; at += data.readUInt32BE(at)) if (data.toString("latin1", at + 4, at + 8) === "moof") fragments++;
    expect(fragments).toBeGreaterThan(2_500);
    const { result, file: sent } = await removeWatched("fragmented.mp4", data);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body["remaining"]).toEqual({});
    expect(result.cleaned!.includes("fragmented-marker")).toBe(false);
    const cleaned = path.join(dir, "cleaned-fragmented.mp4");
    await fs.writeFile(cleaned, result.cleaned!);
    expect((await mediaContent(cleaned))["video"]).toBe((await mediaContent(sent))["video"]);
    // Every sound packet kept, in order and of its size. Not their bytes, which differ where the
    // encoder's name in fill elements was blanked (removed.aacText), nor the last few's times, which
    // ffmpeg's fragmenting muxer wrote overlapping and the remux writes in order.
    const packets = async (f: string) => (await streamHash(f, "0:a")).split("\n").map((line) => line.split(",")[4]);
    expect(await packets(cleaned)).toEqual(await packets(sent));
  }, 120_000);
});
