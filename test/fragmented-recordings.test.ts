import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ISO_BOXES, MAX_PLAIN_FRAGMENTS } from "../src/cleaners/media/iso-screen.js";
import { findMarker } from "./helpers/marker-scan.js";
import { streamHash } from "./helpers/make-media.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { watchRemoval, watchService } from "./helpers/watch-service.js";

/**
 * Long recordings fragmented per frame (low-latency CMAF, OBS or ffmpeg's `frag_every_frame`)
 * hold more boxes than ExifTool reads in time (50,000 fragments: 68 s and 337 MB for it alone).
 * The screen shows ExifTool a view without the runs of plain fragments, so they are cleaned, and
 * read, at a cost that no longer grows with the fragments; what a fragment holds besides sample
 * tables is still read and removed.
 */

/** /healthz on a busy 2-core machine: the contract says under a second. */
const HEALTH_MS = 1000;
/** The removal below: 8-12 s measured with the machine at load 20 (ffmpeg reads the fragments ~6 times at ~1.4 s). */
const REMOVAL_MS = 60_000;
/** Its extraction: 0.6-1.7 s measured at load 20. */
const EXTRACTION_MS = 15_000;
/** The service and its children together (~200 MB idle with a worker and ExifTool started). */
const TREE_MB = 600;
const TOO_COMPLEX = "The file is too complex to process within this service's limits.";

const MOOV_MARKER = "fragmented-moov-marker";
const FRAGMENT_MARKER = "fragment-udta-marker";
const BETWEEN_MARKER = "between-fragments-marker";

let dir: string;
let server: RunningServer;
let recording: string;

function box(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, payload]);
}

/** The top-level boxes of `data`: where each starts, its size and type. */
function topBoxes(data: Buffer): Array<{ at: number; size: number; type: string }> {
  const boxes = [];
  for (let at = 0; at + 8 <= data.length; ) {
    const size = data.readUInt32BE(at);
    boxes.push({ at, size, type: data.toString("latin1", at + 4, at + 8) });
    at += size;
  }
  return boxes;
}

/** How many boxes `data` holds, inside movie fragments and track fragments too. */
function countBoxes(data: Buffer, from = 0, to = data.length): number {
  let n = 0;
  for (let at = from; at + 8 <= to; ) {
    const size = data.readUInt32BE(at);
    const type = data.toString("latin1", at + 4, at + 8);
    n++;
    if (type === "moof" || type === "traf") n += countBoxes(data, at + 8, at + size);
    at += size;
  }
  return n;
}

/**
 * A movie fragment with a user data box holding `text` after its track fragment: the track
 * fragment run's data offset (from the fragment's start) moves by the box's size.
 */
function withUserData(moof: Buffer, text: string): Buffer {
  const udta = box("udta", box("\xa9cmt", Buffer.concat([Buffer.from([0, text.length, 0, 0]), Buffer.from(text, "latin1")])));
  const out = Buffer.from(moof);
  for (let at = 8; at < out.length; at += out.readUInt32BE(at)) {
    if (out.toString("latin1", at + 4, at + 8) !== "traf") continue;
    const end = at + out.readUInt32BE(at);
    for (let p = at + 8; p < end; p += out.readUInt32BE(p)) {
      if (out.toString("latin1", p + 4, p + 8) !== "trun") continue;
      expect(out.readUInt32BE(p + 8) & 1, "the run gives its data offset").toBe(1);
      out.writeInt32BE(out.readInt32BE(p + 16) + udta.length, p + 16);
    }
  }
  const planted = Buffer.concat([out, udta]);
  planted.writeUInt32BE(planted.length);
  return planted;
}

/**
 * The md5 of each decoded frame of one stream of a file, in order, from its elementary stream
 * (`format`: h264, adts, read back as `demuxer`) copied out: every packet the container holds,
 * whatever its timing says.
 */
function decodedFrames(file: string, spec: string, format: string, demuxer = format): Promise<string[]> {
  const key = `${file} ${spec}`;
  let frames = decoded.get(key);
  if (frames == null) decoded.set(key, (frames = decodeFrames(file, spec, format, demuxer)));
  return frames;
}
const decoded = new Map<string, Promise<string[]>>();

async function decodeFrames(file: string, spec: string, format: string, demuxer: string): Promise<string[]> {
  const raw = path.join(dir, `${path.basename(file)}.${format}`);
  await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", spec, "-c", "copy", "-f", format, raw]);
  const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-f", demuxer, "-i", raw, "-map", "0", "-vsync", "passthrough", "-f", "framemd5", "-"]);
  return stdout.toString("utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(",").at(-1)!.trim());
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-fragmented-"));
  server = await startServer();
  // 50 s of 16x16 video at 1,000 fps and 8 kHz sound, one fragment per frame: ~50,400 fragments
  // in 7 MB, the boxes of a 10-minute 30 fps recording (tiny frames keep it quick to make).
  const made = path.join(dir, "made.mp4");
  await run("ffmpeg", [
    ...ffmpegQuiet,
    ...["-f", "lavfi", "-i", "testsrc=s=16x16:r=1000:d=50", "-f", "lavfi", "-i", "sine=r=8000:d=50"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-metadata", `title=${MOOV_MARKER}`],
    ...["-movflags", "frag_every_frame+empty_moov+default_base_moof", made],
  ]);
  // A user data box inside one fragment, and a uuid box between two, both in the middle of the run.
  const data = await fs.readFile(made);
  const moofs = topBoxes(data).filter((b) => b.type === "moof");
  const [inside, between] = [moofs[20_000]!, moofs[35_000]!];
  recording = path.join(dir, "recording.mp4");
  await fs.writeFile(
    recording,
    Buffer.concat([
      data.subarray(0, inside.at),
      withUserData(data.subarray(inside.at, inside.at + inside.size), FRAGMENT_MARKER),
      data.subarray(inside.at + inside.size, between.at),
      box("uuid", Buffer.concat([Buffer.alloc(16, 0x11), Buffer.from(BETWEEN_MARKER, "latin1")])),
      data.subarray(between.at),
    ]),
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("long fragmented recordings", () => {
  it("a recording fragmented per frame past the old box limit (50,000 fragments, 350,000 boxes) is cleaned in bounded time and memory: markers in moov, inside a fragment and between fragments gone, pictures and sound packets unchanged (was a 422)", async () => {
    const data = await fs.readFile(recording);
    expect(topBoxes(data).filter((b) => b.type === "moof").length).toBeGreaterThan(50_000);
    expect(countBoxes(data)).toBeGreaterThan(MAX_ISO_BOXES);

    const { result, ms, peakTreeMb, slowestHealthMs } = await watchRemoval(server, recording);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body["remaining"]).toEqual({});
    // Title and encoder in moov, the fragment's user data and the uuid box among what was read and removed.
    expect((result.body["removed"] as Record<string, number>)["quicktime"]).toBeGreaterThanOrEqual(4);
    expect(ms).toBeLessThan(REMOVAL_MS);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);

    for (const marker of [MOOV_MARKER, FRAGMENT_MARKER, BETWEEN_MARKER]) expect(await findMarker(result.cleaned!, marker), marker).toEqual([]);
    const cleaned = path.join(dir, "cleaned.mp4");
    await fs.writeFile(cleaned, result.cleaned!);
    // Every picture and every sound frame the encoder made, decoded in order, is the same.
    expect(await decodedFrames(cleaned, "0:V", "h264")).toEqual(await decodedFrames(recording, "0:V", "h264"));
    expect(await decodedFrames(cleaned, "0:a", "adts", "aac")).toEqual(await decodedFrames(recording, "0:a", "adts", "aac"));
  }, 240_000);

  it("the copy decodes every frame of the recording, where ffmpeg reading the recording itself drops the frames its fragmenting muxer wrote one frame late", async () => {
    // ffmpeg 5.1's `frag_every_frame` gives now and then a fragment a start time one frame too
    // late, equal to the next one's; its demuxer then flags the next frame as one to discard.
    // The remux copies every packet in order, so the copy decodes the frames (and 1,024 sound
    // samples per AAC frame) a decode of the recording leaves out: nothing of the copy's making.
    const cleaned = path.join(dir, "cleaned.mp4");
    const discarded = async (f: string, spec: string) => (await run("ffprobe", ["-v", "error", "-select_streams", spec, "-show_entries", "packet=flags", "-of", "csv=p=0", f])).stdout.toString("utf8").split("\n").filter((l) => l.includes("D")).length;
    const pictures = async (f: string) => (await streamHash(f, "0:V", true)).split("\n").length;
    const dropped = await discarded(recording, "v");
    expect(dropped).toBeGreaterThan(0);
    expect(await discarded(cleaned, "v")).toBe(0);
    expect(await pictures(cleaned)).toBe((await pictures(recording)) + dropped);
    expect(await pictures(cleaned)).toBe((await decodedFrames(recording, "0:V", "h264")).length);
  }, 120_000);

  it("its extraction reads what the fragments hold besides sample tables, quickly (was a 422)", async () => {
    const { result, slowestHealthMs } = await watchService(server, async () => {
      const started = Date.now();
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "recording.mp4", data: await fs.readFile(recording) }, { headers: { "X-API-Key": server.apiKey } });
      return { status: res.status, body: (await res.json()) as { metadata?: Record<string, Record<string, unknown>> }, ms: Date.now() - started };
    });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.ms).toBeLessThan(EXTRACTION_MS);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
    const quickTime = result.body.metadata?.["quicktime"] ?? {};
    expect(quickTime["Title"]).toBe(MOOV_MARKER);
    // ExifTool names neither box's contents: it reports them as unknown binary data.
    expect(quickTime["Unknown_udta"]).toMatch(/binary data/);
    expect(quickTime["UUID-Unknown"]).toMatch(/binary data/);
    // Read as from the whole file: the last fragment's number and media data.
    expect(quickTime["MovieFragmentSequence"]).toBe(String(topBoxes(await fs.readFile(recording)).filter((b) => b.type === "moof").length));
    expect(result.body.metadata?.["File"]?.["Size"]).toBe((await fs.stat(recording)).size);
  }, 120_000);

  it(`more than ${MAX_PLAIN_FRAGMENTS} fragments (16 MB of empty ones) are a quick 422`, async () => {
    const data = await fs.readFile(recording);
    const head = topBoxes(data).filter((b) => b.type === "ftyp" || b.type === "moov");
    const fragment = Buffer.concat([box("moof", box("mfhd", Buffer.alloc(8))), box("mdat")]);
    const file = path.join(dir, "empty-fragments.mp4");
    await fs.writeFile(file, Buffer.concat([...head.map((b) => data.subarray(b.at, b.at + b.size)), Buffer.concat(Array<Buffer>(MAX_PLAIN_FRAGMENTS + 1).fill(fragment))]));
    const { result, ms, peakTreeMb } = await watchRemoval(server, file);
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe(TOO_COMPLEX);
    expect(ms).toBeLessThan(20_000);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
  }, 120_000);
});
