import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunk, chunksOf, ffmpegCaf, markCaf, metadataChunks, u32 } from "./helpers/make-caf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Core Audio Format (.caf: GarageBand, Logic, afconvert, iOS apps' recordings) was an unsupported
 * type, and ExifTool does not read it. Besides its sound it carries an information chunk (artist,
 * title, recorded date, the encoding application), edit comments, markers and regions named in a
 * strings chunk, a SMPTE unique material identifier, makers' uuid chunks, and whatever a tagger
 * appends after it.
 */

let server: RunningServer;
let dir: string;
const MARKER = "CafHidden5217";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-caf-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function decoded(file: string): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0:a", "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

async function cleaned(name: string, bytes: Buffer): Promise<{ file: string; out: string; copy: Buffer; removed: Record<string, number> }> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  const outcome = await removeViaApi(server, file);
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${name}`);
  await fs.writeFile(out, outcome.cleaned!);
  return { file, out, copy: outcome.cleaned!, removed: outcome.body["removed"] as Record<string, number> };
}

describe("POST /api/v1/remove on a CAF file", () => {
  it.each(["alac", "pcm_s16be"])(
    "%s: reports and drops the information, edit comments, names, identifier and makers' chunks; the sound is copied byte for byte",
    async (codec) => {
      const made = await ffmpegCaf(dir, `made-${codec}.caf`, codec, MARKER);
      const sound = chunksOf(made).filter((c) => c.id !== "info");
      const bytes = markCaf(made, MARKER);

      const findings = await findingsViaApi(server, "take.caf", bytes);
      const tags = findings.flatMap((f) => f.tags ?? []);
      expect(tags).toEqual(expect.arrayContaining(["caf:Artist", "caf:RecordedDate", "caf:Software"]));

      const { file, out, copy, removed } = await cleaned(`take-${codec}.caf`, bytes);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(removed["caf"]).toBeGreaterThanOrEqual(8);
      expect(removed["id3"]).toBeGreaterThan(0);
      expect(await decoded(out)).toBe(await decoded(file));
      expect(chunksOf(copy).map((c) => c.id)).toEqual(sound.map((c) => c.id));
      // The sound chunks are the same bytes, but for the audio data's edit count.
      const data = chunksOf(copy).find((c) => c.id === "data")!.bytes;
      expect(data.readUInt32BE(12)).toBe(0);
      expect(data.subarray(16).equals(sound.find((c) => c.id === "data")!.bytes.subarray(16))).toBe(true);
    },
  );

  it("keeps an audio data chunk of unknown size (-1), last, as it must be", async () => {
    const made = await ffmpegCaf(dir, "made-open.caf", "pcm_s16le", MARKER);
    const chunks = chunksOf(made);
    const data = chunks.find((c) => c.id === "data")!.bytes;
    const open = chunk("data", Buffer.concat([u32(7), data.subarray(16)]), -1n);
    const bytes = Buffer.concat([made.subarray(0, 8), ...chunks.filter((c) => c.id !== "data" && c.id !== "info").map((c) => c.bytes), ...metadataChunks(MARKER), open]);

    const { file, out, copy } = await cleaned("open.caf", bytes);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(await decoded(file));
    const last = chunksOf(copy).at(-1)!;
    expect(last.id).toBe("data");
    expect(last.bytes.readBigInt64BE(4)).toBe(-1n);
  });

  // A size that runs past the end would make the chunks after the sound part of it.
  it("refuses one whose audio data is said to run past the end, as damaged, rather than keep what follows as sound", async () => {
    const made = await ffmpegCaf(dir, "made-long.caf", "pcm_s16le", MARKER);
    const chunks = chunksOf(made);
    const data = Buffer.from(chunks.find((c) => c.id === "data")!.bytes);
    data.writeBigInt64BE(BigInt(data.length * 4), 4);
    const file = path.join(dir, "long.caf");
    await fs.writeFile(file, Buffer.concat([made.subarray(0, 8), ...chunks.filter((c) => c.id !== "data" && c.id !== "info").map((c) => c.bytes), data, ...metadataChunks(MARKER)]));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The CAF file is damaged: its audio data chunk runs past the end of the file.");
  });

  it("refuses one with no audio data, as damaged", async () => {
    const made = await ffmpegCaf(dir, "made-empty.caf", "pcm_s16le", MARKER);
    const file = path.join(dir, "no-data.caf");
    await fs.writeFile(file, Buffer.concat([made.subarray(0, 8), chunksOf(made)[0]!.bytes, ...metadataChunks(MARKER)]));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The CAF file is damaged: it holds no audio data.");
  });
});
