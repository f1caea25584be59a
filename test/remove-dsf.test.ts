import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apicFrame, id3v23Head } from "./helpers/make-covers.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * DSF (Sony's DSD Stream File: DSD albums are sold as DSF) was an unsupported type. Its ID3v2 tag
 * (title, artist, album, cover) is its metadata chunk, after the samples; the copy is the samples
 * without it, and the header's size and metadata pointer say so.
 */

let server: RunningServer;
let dir: string;
const MARKER = "DsdStreamTag3307";
const BLOCK = 4096;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-dsf-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** An ID3v2.3 text frame. */
function textFrame(id: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from([0]), Buffer.from(text, "latin1")]);
  const head = Buffer.alloc(10);
  head.write(id, 0, "latin1");
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/**
 * A stereo DSD64 file of two blocks per channel (a pattern that decodes to sound, not silence),
 * followed by `tag` as its metadata chunk; `pointer` overrides where the header says that lies.
 */
function dsf(tag: Buffer, pointer?: number): Buffer {
  const samples = Buffer.alloc(2 * 2 * BLOCK);
  for (let i = 0; i < samples.length; i++) samples[i] = (i * 37 + (i >> 5)) & 0xff;
  const data = Buffer.concat([Buffer.from("data", "latin1"), u64(12 + samples.length), samples]);
  const fmt = Buffer.alloc(52);
  fmt.write("fmt ", 0, "latin1");
  fmt.writeBigUInt64LE(52n, 4);
  [1, 0, 2, 2, 2822400, 1].forEach((v, i) => fmt.writeUInt32LE(v, 12 + 4 * i));
  fmt.writeBigUInt64LE(BigInt(2 * BLOCK * 8), 36);
  fmt.writeUInt32LE(BLOCK, 44);
  const size = 28 + fmt.length + data.length;
  const head = Buffer.concat([Buffer.from("DSD ", "latin1"), u64(28), u64(size + tag.length), u64(pointer ?? (tag.length > 0 ? size : 0))]);
  return Buffer.concat([head, fmt, data, tag]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

async function decoded(file: string): Promise<string> {
  // The sound only: ffmpeg makes an ID3 cover a picture stream of its own.
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0:a", "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

describe("POST /api/v1/remove on a DSF file", () => {
  it("drops its ID3v2 tag (title, artist, comment, cover), keeps the samples byte for byte, and says in its header that no tag follows", async () => {
    const cover = path.join(dir, "cover.jpg");
    await run(CONVERT, ["-size", "16x16", "xc:orange", "-set", "comment", MARKER, cover]);
    const frames = Buffer.concat([textFrame("TIT2", `${MARKER} title`), textFrame("TPE1", `${MARKER} artist`), textFrame("TXXX", `\0${MARKER}`), apicFrame(await fs.readFile(cover))]);
    const file = path.join(dir, "album.dsf");
    await fs.writeFile(file, dsf(Buffer.concat([id3v23Head(frames.length), frames])));
    const before = await decoded(file);
    expect(before).toMatch(/^MD5=[0-9a-f]{32}$/);

    const outcome = await removeViaApi(server, file);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(outcome.body["removed"]).toMatchObject({ id3: expect.any(Number) });
    expect(outcome.body["remaining"]).toEqual({});
    const copy = outcome.cleaned!;
    const out = path.join(dir, "cleaned.dsf");
    await fs.writeFile(out, copy);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(copy.equals(dsf(Buffer.alloc(0)))).toBe(true);
    expect(Number(copy.readBigUInt64LE(12))).toBe(copy.length);
    expect(await decoded(out)).toBe(before);
  });

  it("refuses one whose metadata pointer lies inside its samples, which the copy would keep", async () => {
    const frames = textFrame("TIT2", MARKER);
    const file = path.join(dir, "overlap.dsf");
    await fs.writeFile(file, dsf(Buffer.concat([id3v23Head(frames.length), frames]), 28 + 52 + 12 + 100));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The DSF file is damaged: its metadata lies inside its sample data.");
  });
});
