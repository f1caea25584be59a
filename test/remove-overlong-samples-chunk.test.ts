import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { chunks } from "./helpers/wav-chunks.js";

/*
 * A WAV's `data` chunk (an AIFF's `SSND`) may claim more bytes than the file holds: a recorder
 * that never finished its file leaves such a length, and its samples run to the end. A tool that
 * appended tags without fixing the length (or one flipped bit of it, as the fuzz test found)
 * leaves chunks after the samples that the claimed length covers: the copy held them as samples,
 * the names in an ID3 tag included. The samples now end where a chain of chunks to the file's end
 * begins.
 */

let server: RunningServer;
let dir: string;
let samples: Buffer;
let format: Buffer;
let made: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-wav-data-"));
  server = await startServer();
  made = path.join(dir, "made.wav");
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16le", made]);
  const read = chunks(await fs.readFile(made));
  samples = read.find((c) => c.id === "data")!.data;
  format = read.find((c) => c.id === "fmt ")!.data;
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function chunk(id: string, data: Buffer, size = data.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, "latin1");
  head.writeUInt32LE(size, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
}

/** A WAV of the sine's samples: `riffSize` and `dataSize` as given (null: true), `after` the data. */
function wav(riffSize: number | null, dataSize: number | null, data: Buffer, after: Buffer): Buffer {
  const body = Buffer.concat([chunk("fmt ", format), chunk("data", data, dataSize ?? data.length), after]);
  const riff = Buffer.alloc(12);
  riff.write("RIFFxxxxWAVE", 0, "latin1");
  riff.writeUInt32LE(riffSize ?? 4 + body.length, 4);
  return Buffer.concat([riff, body]);
}

function id3Tag(marker: string): Buffer {
  const title = Buffer.from(`\u0000${marker} title`, "latin1");
  const frame = Buffer.concat([Buffer.from("TIT2", "latin1"), Buffer.from([0, 0, 0, title.length, 0, 0]), title]);
  return Buffer.concat([Buffer.from("ID3\u0003\u0000\u0000\u0000\u0000\u0000", "latin1"), Buffer.from([frame.length]), frame]);
}

/** An `id3 ` chunk (an ID3v2 tag naming the title) and a `LIST` of INFO names, odd in length and unpadded, as taggers append them. */
function tags(marker: string): Buffer {
  const id3 = id3Tag(marker);
  const artist = Buffer.from(`${marker} artist\u0000`, "latin1");
  const info = Buffer.concat([Buffer.from("INFOIART", "latin1"), Buffer.from([artist.length, 0, 0, 0]), artist]);
  const list = chunk("LIST", info).subarray(0, 8 + info.length);
  return Buffer.concat([chunk("id3 ", id3), list]);
}

async function expectSamplesOnly(file: string, marker: string | null): Promise<void> {
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  if (marker != null) expect(await findMarker(cleaned!, marker)).toEqual([]);
  expect(chunks(cleaned!).map((c) => c.id)).toEqual(["fmt ", "data"]);
  expect(chunks(cleaned!).find((c) => c.id === "data")!.data.equals(samples)).toBe(true);
  const out = await savedIn(dir, `cleaned-${path.basename(file)}`, cleaned!);
  expect(await streamHash(out, "0:a", true)).toBe(await streamHash(made, "0:a", true));
}

describe("POST /api/v1/remove on a WAV or AIFF whose samples chunk claims more than the file holds", () => {
  it("tags appended after the samples without fixing their length do not reach the copy; the samples are the same", async () => {
    const marker = `WavTail${crypto.randomBytes(6).toString("hex")}`;
    const file = await savedIn(dir, "appended.wav", wav(null, samples.length + 0x8000, samples, tags(marker)));
    expect(await findMarker(file, marker)).not.toEqual([]);
    await expectSamplesOnly(file, marker);
  });

  it("nor do they when neither length was finished, as a recorder streaming its file leaves them", async () => {
    const marker = `WavOpen${crypto.randomBytes(6).toString("hex")}`;
    await expectSamplesOnly(await savedIn(dir, "unfinished-tagged.wav", wav(0xffffffff, 0xffffffff, samples, tags(marker))), marker);
  });

  it("a recording never finished keeps every sample to the end of the file", async () => {
    await expectSamplesOnly(await savedIn(dir, "unfinished.wav", wav(0, 0xffffffff, samples, Buffer.alloc(0))), null);
  });

  it("bytes after the samples built to hold a chunk header every 8 bytes are refused as too complex, quickly", async () => {
    const chained = Buffer.alloc(8 * 1_200_000);
    for (let i = 0; i < chained.length; i += 8) chained.write("AAAA", i, "latin1");
    // Three bytes more: no chain ends where the file does.
    const file = await savedIn(dir, "chained.wav", wav(null, 0xffffffff, samples, Buffer.concat([chained, Buffer.from("end", "latin1")])));
    const started = Date.now();
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("an AIFF's sound chunk claiming more than the file holds keeps its samples and loses the tags after them", async () => {
    const marker = `AiffTail${crypto.randomBytes(6).toString("hex")}`;
    const aiff = path.join(dir, "made.aiff");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16be", "-write_id3v2", "0", aiff]);
    const made = await fs.readFile(aiff);
    const body = iffChunks(made).filter((c) => c.id === "COMM" || c.id === "SSND");
    const sound = body.find((c) => c.id === "SSND")!.data;
    const after = Buffer.concat([iffChunk("ID3 ", id3Tag(marker)), iffChunk("NAME", Buffer.from(`${marker} name`, "latin1"))]);
    const chunksOut = Buffer.concat([...body.map((c) => iffChunk(c.id, c.data, c.id === "SSND" ? c.data.length + 0x8000 : c.data.length)), after]);
    const head = Buffer.alloc(12);
    head.write("FORMxxxxAIFF", 0, "latin1");
    head.writeUInt32BE(4 + chunksOut.length, 4);
    const file = await savedIn(dir, "appended.aiff", Buffer.concat([head, chunksOut]));
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body: answer, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(answer)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(iffChunks(cleaned!).find((c) => c.id === "SSND")!.data.equals(sound)).toBe(true);
    const out = await savedIn(dir, "cleaned-appended.aiff", cleaned!);
    expect(await streamHash(out, "0:a", true)).toBe(await streamHash(aiff, "0:a", true));
  });
});

function iffChunk(id: string, data: Buffer, size = data.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, "latin1");
  head.writeUInt32BE(size, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
}

function iffChunks(file: Buffer): Array<{ id: string; data: Buffer }> {
  const out: Array<{ id: string; data: Buffer }> = [];
  for (let at = 12; at + 8 <= file.length; ) {
    const size = file.readUInt32BE(at + 4);
    out.push({ id: file.toString("latin1", at, at + 4), data: file.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size % 2);
  }
  return out;
}
