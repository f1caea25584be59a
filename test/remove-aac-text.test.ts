import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { removeAacText } from "../src/cleaners/media/aac-stream.js";
import { wholeFile } from "../src/cleaners/media/patch-pieces.js";
import { type AacContainer, containsAtAnyBit, makeAacIn, type PlantedFill } from "./helpers/make-aac.js";
import { MUTATIONS, mutate, prng } from "./helpers/fuzz-mutate.js";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `AacMk${crypto.randomBytes(6).toString("hex")}`;

/**
 * Planted next to ffmpeg's own "Lavc…" (frames 1 and 257): two fills with the marker, and one in
 * the form libfaac writes, which ffmpeg's decoder reads (it skips 1024 samples for "libfaac
 * %d.%d"): its version must stay for the audio to decode the same, the marker after it goes.
 */
const FILLS: PlantedFill[] = [
  { frame: 5, text: `Clip by ${MARKER} on camera 7` },
  { frame: 40, text: `libfaac 1.28 by ${MARKER}`, textBit: 32 },
  { frame: 100, text: `Clip by ${MARKER} on camera 7` },
];
const ELEMENTS = 5;

const CONTAINERS: readonly AacContainer[] = ["m4a", "mp4", "mov", "3gp", "mp4-subtitles", "mkv", "ts", "m2ts", "flv", "avi", "asf", "caf"];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-aac-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const cleanedCopy = (file: string): Promise<{ out: string; removed: Record<string, number> }> => cleanedCopyViaApi(server, file, dir);

/**
 * The MD5 of the decoded samples, whatever their timestamps: the remux into AVI gives AAC packets
 * other timestamps than the original's (ffmpeg's AVI muxer, as before this cleaning existed).
 */
async function decodedAudio(file: string): Promise<string> {
  const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", file, "-map", "0:a", "-f", "md5", "-"]);
  return stdout.toString("utf8").trim();
}

describe("text in AAC fill elements", () => {
  it.each(CONTAINERS)(
    "ffmpeg's AAC in %s: its Lavc string and the planted texts are blanked in place, libfaac's version kept, decoded audio identical",
    async (container) => {
      const sub = await fs.mkdtemp(path.join(dir, `${container}-`));
      const file = await makeAacIn(sub, container, FILLS);
      const bytes = await fs.readFile(file);
      expect(bytes.includes("Lavc")).toBe(true);
      expect(await findMarker(file, MARKER)).not.toEqual([]);

      const { out, removed } = await cleanedCopy(file);
      expect(removed["aacText"]).toBe(ELEMENTS);
      const copy = await fs.readFile(out);
      expect(copy.includes("Lavc")).toBe(false);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(copy.includes("libfaac 1.28")).toBe(true);
      expect(await decodedAudio(out)).toBe(await decodedAudio(file));
    },
    60_000,
  );

  // The program config element of a 2.1 layout: in the codec configuration (esds, Matroska's codec
  // private data, FLV's sequence header) or, in a transport stream, in the first frame.
  it.each(["m4a", "mov", "mp4-subtitles", "mkv", "ts", "flv", "asf"] as const)(
    "ffmpeg's 2.1 AAC in %s: the Lavc string in its channel layout's comment goes too, decoded audio identical",
    async (container) => {
      const file = await makeAacIn(await fs.mkdtemp(path.join(dir, `pce-${container}-`)), container, FILLS, { layout: "2.1" });
      const { out, removed } = await cleanedCopy(file);
      expect(removed["aacText"]).toBe(ELEMENTS + 1);
      const copy = await fs.readFile(out);
      expect(copy.includes("Lavc")).toBe(false);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(await decodedAudio(out)).toBe(await decodedAudio(file));
    },
    60_000,
  );

  // LATM (as DVB broadcasts carry AAC in MPEG-TS) puts the raw data blocks at any bit (after its
  // configuration, repeated every 20 frames): the texts are looked for at every bit. (ffmpeg
  // writes ADTS instead for a layout that needs a program config element.)
  it("ffmpeg's AAC as LATM in MPEG-TS: the texts go wherever their bits fall, decoded audio identical", async () => {
    const file = await makeAacIn(await fs.mkdtemp(path.join(dir, "latm-")), "ts-latm", FILLS);
    const bytes = await fs.readFile(file);
    const probe = await run("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_name", "-of", "csv=p=0", file]);
    expect(probe.stdout.toString("utf8").trim().split(/\s+/)).toContain("aac_latm");
    expect(containsAtAnyBit(bytes, "Lavc")).toBe(true);
    expect(containsAtAnyBit(bytes, MARKER)).toBe(true);
    const { out, removed } = await cleanedCopy(file);
    expect(removed["aacText"]).toBe(ELEMENTS);
    const copy = await fs.readFile(out);
    expect(containsAtAnyBit(copy, "Lavc")).toBe(false);
    expect(containsAtAnyBit(copy, MARKER)).toBe(false);
    expect(containsAtAnyBit(copy, "libfaac 1.28")).toBe(true);
    expect(await decodedAudio(out)).toBe(await decodedAudio(file));
  }, 60_000);

  it("a copy still holding text after the patch is refused, not handed back", async () => {
    const a = await makeAacIn(await fs.mkdtemp(path.join(dir, "a-")), "mkv", FILLS);
    // A copy whose stream differs from what the source's scan saw: fills with another text.
    const b = await makeAacIn(await fs.mkdtemp(path.join(dir, "b-")), "mkv", [{ frame: 7, text: `Other ${MARKER} text here` }]);
    const workDir = await fs.mkdtemp(path.join(dir, "work-"));
    const src = { file: a, demuxer: "matroska" };
    const whole = () => Promise.resolve(wholeFile);
    await expect(removeAacText(src, "a:0", { ...src, file: b }, "a:0", whole, "adts", workDir)).rejects.toBeInstanceOf(BadFileError);
  }, 60_000);
});

describe("hostile AAC fill elements", () => {
  // No decoder reads such a frame (ffmpeg: "overread"), so all of it behind the element's header is blanked.
  it.each(["m4a", "mkv", "ts", "ts-latm"] as const)(
    "%s with a fill element claiming more bytes than its frame holds: blanked to the frame's end, decoded audio identical",
    async (container) => {
      const file = await makeAacIn(await fs.mkdtemp(path.join(dir, `over-${container}-`)), container, [
        { frame: 5, text: `Clip by ${MARKER} on camera 7`, overclaim: 200 },
      ]);
      const { out, removed } = await cleanedCopy(file);
      expect(removed["aacText"]).toBe(3);
      expect(await findMarker(out, MARKER)).toEqual([]);
      const copy = await fs.readFile(out);
      expect(containsAtAnyBit(copy, MARKER)).toBe(false);
      expect(containsAtAnyBit(copy, "Lavc")).toBe(false);
      expect(await decodedAudio(out)).toBe(await decodedAudio(file));
    },
    60_000,
  );

  it("a frame with 64 fill elements in front is cleaned whole; one with 65 is refused as too complex", async () => {
    const run = (n: number): PlantedFill[] => Array.from({ length: n }, (_, i) => ({ frame: 9, text: `${String(i).padStart(3, "0")} ${MARKER}` }));
    const ok = await makeAacIn(await fs.mkdtemp(path.join(dir, "run64-")), "m4a", run(64));
    const { out, removed } = await cleanedCopy(ok);
    // The 64 planted, and ffmpeg's own two in other frames.
    expect(removed["aacText"]).toBe(66);
    expect(await findMarker(out, MARKER)).toEqual([]);

    for (const container of ["m4a", "mkv"] as const) {
      const tooMany = await makeAacIn(await fs.mkdtemp(path.join(dir, `run65-${container}-`)), container, run(65));
      const { status, body } = await removeViaApi(server, tooMany);
      expect(status, JSON.stringify(body)).toBe(422);
    }
  }, 60_000);

  // ffmpeg's encoder repeats one fill (every 256 frames); a different text in every frame makes one
  // patch per frame after a remux, which is bounded. The box rewrite walks the samples instead.
  it("4,100 different texts: blanked in place in an M4A, refused as too complex after a remux (MKV)", async () => {
    const fills: PlantedFill[] = [];
    for (let frame = 1; fills.length < 4100; frame++) if (frame % 256 !== 0) fills.push({ frame, text: `${String(frame).padStart(5, "0")} ${MARKER}` });
    const sub = await fs.mkdtemp(path.join(dir, "flood-"));
    const m4a = await makeAacIn(sub, "m4a", fills, { seconds: 97 });
    // ffmpeg's own, in the frames left alone.
    const lavc = (await fs.readFile(m4a)).toString("latin1").split("Lavc").length - 1;
    expect(lavc).toBeGreaterThan(10);
    const { out, removed } = await cleanedCopy(m4a);
    expect(removed["aacText"]).toBe(4100 + lavc);
    expect(await findMarker(out, MARKER)).toEqual([]);

    const mkv = await makeAacIn(sub, "mkv", fills, { seconds: 97 });
    const { status, body } = await removeViaApi(server, mkv);
    expect(status, JSON.stringify(body)).toBe(422);
  }, 120_000);

  it("mutated files: never a 5xx, nothing left behind", async () => {
    const seed = Number(process.env["FUZZ_SEED"] ?? crypto.randomInt(2 ** 31));
    const rnd = prng(seed);
    const problems: string[] = [];
    for (const container of ["m4a", "mkv", "ts-latm"] as const) {
      const original = await fs.readFile(await makeAacIn(await fs.mkdtemp(path.join(dir, `fuzz-${container}-`)), container, FILLS));
      for (const kind of MUTATIONS) {
        const file = path.join(dir, `fuzz-${kind}.${container}`);
        await fs.writeFile(file, mutate(original, kind, rnd));
        const { status, body } = await removeViaApi(server, file);
        if (status !== 200 && status !== 422) problems.push(`${kind} of ${container} (FUZZ_SEED=${seed}): ${status} ${JSON.stringify(body)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(server.process.exitCode).toBeNull();
    let left = await tempFiles(server.dataDir);
    for (let waited = 0; left.length > 0 && waited < 10_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = await tempFiles(server.dataDir);
    }
    expect(left).toEqual([]);
  }, 120_000);
});
