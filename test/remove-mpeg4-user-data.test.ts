import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { removeMpeg4UserData } from "../src/cleaners/media/mpeg4-stream.js";
import { wholeFile } from "../src/cleaners/media/patch-pieces.js";
import { dialogueSrt, streamHash } from "./helpers/make-media.js";
import { makeMpeg4Video, type Mpeg4Container, type Mpeg4Encoder, unitRun } from "./helpers/make-mpeg4.js";
import { MUTATIONS, mutate, prng } from "./helpers/fuzz-mutate.js";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { findMarker } from "./helpers/marker-scan.js";
import { badMatroskaCrcs } from "./helpers/matroska-crc.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Udmark${crypto.randomBytes(6).toString("hex")}`;
const CONTAINERS = ["mp4", "mov", "mkv", "avi", "ts", "asf"] as const;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-mpeg4-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const cleanedCopy = (file: string): Promise<{ out: string; removed: Record<string, number> }> => cleanedCopyViaApi(server, file, dir);

const userData = (bytes: Buffer, text: string): boolean => bytes.includes(`\0\0\x01\xb2${text}`, 0, "latin1");

describe("MPEG-4 Part 2 user data", () => {
  // Both key frames hold the encoder's unit and the planted one; the codec configuration (esds,
  // Matroska's codec private data, AVI's strf, ASF's stream properties; a transport stream keeps
  // none), which ffmpeg's parser cut from the first frame, holds the headers up to the GOP
  // header: ffmpeg's "Lavc" unit, but not the planted unit after it.
  it.each(CONTAINERS)(
    "ffmpeg's mpeg4 in %s: the Lavc string and the planted units go, decoded frames identical",
    async (container: Mpeg4Container) => {
      const file = await makeMpeg4Video(dir, container, "mpeg4", MARKER);
      const bytes = await fs.readFile(file);
      expect(await findMarker(file, MARKER)).not.toEqual([]);
      expect(userData(bytes, "Lavc")).toBe(true);

      const { out, removed } = await cleanedCopy(file);
      expect(removed["mpeg4UserData"]).toBe(container === "ts" ? 4 : 5);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect((await fs.readFile(out)).includes("Lavc")).toBe(false);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
      expect(await streamHash(out, "0:a")).toBe(await streamHash(file, "0:a"));
      if (container === "mkv") expect(await badMatroskaCrcs(out)).toEqual([]);
    },
    60_000,
  );

  // Xvid writes no GOP header: the configuration holds the planted unit of the first frame too.
  // Its "XviD0069" stays: ffmpeg and Xvid pick the Xvid IDCT by it, and without it an MP4's
  // pictures decode differently.
  it.each(CONTAINERS)(
    "Xvid in %s: the planted units go, the XviD build decoders choose their IDCT by stays, decoded frames identical",
    async (container: Mpeg4Container) => {
      const file = await makeMpeg4Video(dir, container, "libxvid", MARKER);
      const { out, removed } = await cleanedCopy(file);
      expect(removed["mpeg4UserData"]).toBe(container === "ts" ? 2 : 3);
      expect(await findMarker(out, MARKER)).toEqual([]);
      const bytes = await fs.readFile(out);
      expect(userData(bytes, "XviD0069\xff")).toBe(false);
      expect(userData(bytes, "XviD0069")).toBe(true);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    },
    60_000,
  );

  it("MP4 with a subtitle track (remuxed, not rewritten box by box): the same units go, frames identical", async () => {
    const plain = await makeMpeg4Video(await fs.mkdtemp(path.join(dir, "sub-")), "mp4", "mpeg4", MARKER);
    const file = path.join(dir, "mpeg4-with-subtitles.mp4");
    await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", plain, "-i", await dialogueSrt(dir), "-map", "0", "-map", "1", "-c", "copy", "-c:s", "mov_text", file]);
    const { out, removed } = await cleanedCopy(file);
    expect(removed["mpeg4UserData"]).toBe(5);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).includes("Lavc")).toBe(false);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  it("a copy still holding a unit with text after the patch is refused, not handed back", async () => {
    const file = await makeMpeg4Video(dir, "mkv", "mpeg4", MARKER);
    // A copy whose stream differs from what the source's scan saw: units with another text.
    const other = await makeMpeg4Video(await fs.mkdtemp(path.join(dir, "other-")), "mkv", "mpeg4", `${MARKER}x`);
    const workDir = await fs.mkdtemp(path.join(dir, "work-"));
    const src = { file, demuxer: "matroska" };
    const whole = () => Promise.resolve(wholeFile);
    await expect(removeMpeg4UserData(src, "0", { ...src, file: other }, "0", whole, "", workDir)).rejects.toBeInstanceOf(BadFileError);
    expect((await fs.readFile(other)).includes("\0\0\x01\xb2Lavc", 0, "latin1")).toBe(false);
  }, 60_000);
});

describe("hostile MPEG-4 streams", () => {
  const encoders: ReadonlyArray<[Mpeg4Container, Mpeg4Encoder]> = [["mp4", "mpeg4"], ["mkv", "mpeg4"], ["avi", "libxvid"]];

  it.each(["mp4", "mkv"] as const)("%s with half a million tiny units: too short to name anything, left; the rest cleaned in bounded time", async (container) => {
    const file = await makeMpeg4Video(dir, container, "mpeg4", MARKER, unitRun(500_000, () => "ab"));
    const started = Date.now();
    const { out, removed } = await cleanedCopy(file);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(removed["mpeg4UserData"]).toBe(5);
    expect(await findMarker(out, MARKER)).toEqual([]);
  }, 120_000);

  it("100,000 different units: blanked in place in an MP4, refused as too complex after a remux (MKV)", async () => {
    const flood = unitRun(100_000, (i) => `u${String(i).padStart(6, "0")}`);
    const mp4 = await makeMpeg4Video(dir, "mp4", "mpeg4", MARKER, flood);
    const { out, removed } = await cleanedCopy(mp4);
    expect(removed["mpeg4UserData"]).toBe(100_005);
    expect(userData(await fs.readFile(out), "u000001")).toBe(false);

    const mkv = await makeMpeg4Video(dir, "mkv", "mpeg4", MARKER, flood);
    const { status, body } = await removeViaApi(server, mkv);
    expect(status, JSON.stringify(body)).toBe(422);
  }, 120_000);

  it("mutated files: never a 5xx, never the marker back while its units are whole, nothing left behind", async () => {
    const seed = Number(process.env["FUZZ_SEED"] ?? crypto.randomInt(2 ** 31));
    const rnd = prng(seed);
    const problems: string[] = [];
    for (const [container, encoder] of encoders) {
      const original = await fs.readFile(await makeMpeg4Video(dir, container, encoder, MARKER));
      for (const kind of MUTATIONS) {
        const bytes = mutate(original, kind, rnd);
        const file = path.join(dir, `fuzz-${kind}-${encoder}.${container}`);
        await fs.writeFile(file, bytes);
        const { status, body, cleaned } = await removeViaApi(server, file);
        const what = `${kind} of ${encoder} in ${container} (FUZZ_SEED=${seed})`;
        if (status !== 200 && status !== 422) problems.push(`${what}: ${status} ${JSON.stringify(body)}`);
        // Only where every marker is still inside a whole user_data unit must it be gone.
        const markers = bytes.toString("latin1").split(MARKER).length - 1;
        const inUnits = bytes.toString("latin1").split(`\0\0\x01\xb2Clip by ${MARKER}`).length - 1;
        if (status === 200 && markers === inUnits && (await findMarker(cleaned!, MARKER)).length > 0) problems.push(`${what}: marker handed back`);
      }
    }
    expect(problems).toEqual([]);
    expect(server.process.exitCode).toBeNull();
    // A request's work folder goes just after its answer: a leak is what is still there seconds later.
    let left = await tempFiles(server.dataDir);
    for (let waited = 0; left.length > 0 && waited < 10_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = await tempFiles(server.dataDir);
    }
    expect(left).toEqual([]);
  }, 300_000);
});
