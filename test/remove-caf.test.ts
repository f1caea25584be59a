import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

/** A chunk: type, signed 64-bit big-endian size (-1: runs to the end of the file), data. */
function chunk(id: string, data: Buffer, size = BigInt(data.length)): Buffer {
  const head = Buffer.alloc(12);
  head.write(id, 0, "latin1");
  head.writeBigInt64BE(size, 4);
  return Buffer.concat([head, data]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

const nul = (text: string): Buffer => Buffer.from(`${text}\0`, "utf8");

/** The chunks of a CAF file (after its 8-byte header), by type, as ffmpeg wrote them. */
function chunksOf(file: Buffer): { id: string; bytes: Buffer }[] {
  const found: { id: string; bytes: Buffer }[] = [];
  for (let at = 8; at + 12 <= file.length; ) {
    const size = Number(file.readBigInt64BE(at + 4));
    const end = size < 0 ? file.length : at + 12 + size;
    found.push({ id: file.toString("latin1", at, at + 4), bytes: file.subarray(at, end) });
    at = end;
  }
  return found;
}

/** Everything a recorder, an editor or a tagger puts beside the sound, each holding the marker. */
function metadataChunks(): Buffer[] {
  const info = Buffer.concat([u32(5), ...["artist", `${MARKER} artist`, "title", `${MARKER} title`, "recorded date", "2024-05-04 12:30:00", "encoding application", `${MARKER} Recorder 2.1`, "comments", `${MARKER} take 3`].map(nul)]);
  const edits = Buffer.concat([u32(1), u64(1714825800), nul("edit"), nul(`${MARKER} trimmed the start`)]);
  const names = Buffer.concat([u32(1), u32(1), u64(0), nul(`${MARKER} chorus`)]);
  const marker = Buffer.concat([u32(0), u32(1), u32(0), u32(0), u64(0), u32(1), u32(0), u32(0)]);
  return [
    chunk("info", info),
    chunk("edct", edits),
    chunk("strg", names),
    chunk("mark", marker),
    chunk("umid", Buffer.concat([Buffer.from(MARKER, "latin1"), Buffer.alloc(64 - MARKER.length)])),
    chunk("uuid", Buffer.concat([Buffer.alloc(16, 0x29), Buffer.from(`<loop>${MARKER}</loop>`, "latin1")])),
    chunk("free", Buffer.from(`${MARKER} left over`, "latin1")),
    chunk("zzzz", Buffer.from(MARKER, "latin1")),
  ];
}

/** An ID3v1 tag, as a tagger appends it to any file. */
function id3v1(): Buffer {
  const tag = Buffer.alloc(128);
  tag.write("TAG", 0, "latin1");
  tag.write(MARKER, 3, "latin1");
  return tag;
}

async function ffmpegCaf(name: string, codec: string): Promise<Buffer> {
  const file = path.join(dir, name);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", codec, "-metadata", `title=${MARKER}`, file]);
  return fs.readFile(file);
}

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
      const made = await ffmpegCaf(`made-${codec}.caf`, codec);
      const sound = chunksOf(made).filter((c) => c.id !== "info");
      const [desc, ...rest] = sound.map((c) => c.bytes);
      const bytes = Buffer.concat([made.subarray(0, 8), desc!, ...metadataChunks().slice(0, 4), ...rest, ...metadataChunks().slice(4), id3v1()]);

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
    const made = await ffmpegCaf("made-open.caf", "pcm_s16le");
    const chunks = chunksOf(made);
    const data = chunks.find((c) => c.id === "data")!.bytes;
    const open = chunk("data", Buffer.concat([u32(7), data.subarray(16)]), -1n);
    const bytes = Buffer.concat([made.subarray(0, 8), ...chunks.filter((c) => c.id !== "data" && c.id !== "info").map((c) => c.bytes), ...metadataChunks(), open]);

    const { file, out, copy } = await cleaned("open.caf", bytes);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(await decoded(file));
    const last = chunksOf(copy).at(-1)!;
    expect(last.id).toBe("data");
    expect(last.bytes.readBigInt64BE(4)).toBe(-1n);
  });

  // A size that runs past the end would make the chunks after the sound part of it.
  it("refuses one whose audio data is said to run past the end, as damaged, rather than keep what follows as sound", async () => {
    const made = await ffmpegCaf("made-long.caf", "pcm_s16le");
    const chunks = chunksOf(made);
    const data = Buffer.from(chunks.find((c) => c.id === "data")!.bytes);
    data.writeBigInt64BE(BigInt(data.length * 4), 4);
    const file = path.join(dir, "long.caf");
    await fs.writeFile(file, Buffer.concat([made.subarray(0, 8), ...chunks.filter((c) => c.id !== "data" && c.id !== "info").map((c) => c.bytes), data, ...metadataChunks()]));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The CAF file is damaged: its audio data chunk runs past the end of the file.");
  });

  it("refuses one with no audio data, as damaged", async () => {
    const made = await ffmpegCaf("made-empty.caf", "pcm_s16le");
    const file = path.join(dir, "no-data.caf");
    await fs.writeFile(file, Buffer.concat([made.subarray(0, 8), chunksOf(made)[0]!.bytes, ...metadataChunks()]));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The CAF file is damaged: it holds no audio data.");
  });
});
