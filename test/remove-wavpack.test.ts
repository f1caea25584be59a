import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { EXIFTOOL, ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * WavPack (.wv) was an unsupported type. Besides its APEv2 tag, the encoder stores the header and
 * trailer of the file it was made from inside its blocks (a WAV's LIST INFO and bext chunks, an
 * AIFF's name and comments), to give that file back whole: the copy must hold none of it, decode
 * to the same sound, and pass WavPack's own check of its block checksums.
 */

let server: RunningServer;
let dir: string;
const MARKER = "WavPackHidden5521";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-wavpack-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** Two seconds of stereo tone as `name`, with ffmpeg's tags (LIST INFO, and bext for a WAV) carrying the marker. */
async function tone(name: string, extra: readonly string[] = []): Promise<string> {
  const file = path.join(dir, name);
  const tags = ["-metadata", `artist=${MARKER} artist`, "-metadata", `comment=${MARKER} comment`, "-metadata", `title=${MARKER} title`];
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-ac", "2", "-ar", "44100", ...tags, ...extra, file]);
  return file;
}

/** Appends a LIST INFO chunk after a WAV's samples (the WAV trailer WavPack stores), fixing its RIFF size. */
async function appendListChunk(wav: string): Promise<void> {
  const text = Buffer.from(`${MARKER} trailer\0`, "latin1");
  const info = Buffer.concat([Buffer.from("INFOICMT", "latin1"), u32(text.length), text, Buffer.alloc(text.length % 2)]);
  const bytes = Buffer.concat([await fs.readFile(wav), Buffer.from("LIST", "latin1"), u32(info.length), info]);
  bytes.writeUInt32LE(bytes.length - 8, 4);
  await fs.writeFile(wav, bytes);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

async function wavpack(source: string, args: readonly string[] = []): Promise<string> {
  const out = source.replace(/\.[a-z]+$/, ".wv");
  await run("wavpack", ["-q", "-y", ...args, source, "-o", out]);
  return out;
}

async function decoded(file: string): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0:a", "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

/** WavPack's own checks of the file: its block checksums hold, every block decodes, and so does its audio MD5. */
async function wvunpackVerifies(file: string): Promise<void> {
  await run("wvunpack", ["-q", "-vv", file]);
  await run("wvunpack", ["-q", "-v", "-m", file]);
}

async function cleaned(file: string): Promise<{ out: string; removed: unknown }> {
  const outcome = await removeViaApi(server, file);
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, outcome.cleaned!);
  return { out, removed: outcome.body["removed"] };
}

/** The sub-blocks of a WavPack file's first block: [id, offset of its data, data length]. */
function firstBlockSubBlocks(wv: Buffer): Array<[number, number, number]> {
  const found: Array<[number, number, number]> = [];
  const end = 8 + wv.readUInt32LE(4);
  for (let at = 32; at < end; ) {
    const large = (wv[at]! & 0x80) !== 0;
    const words = large ? wv[at + 1]! + (wv[at + 2]! << 8) + (wv[at + 3]! << 16) : wv[at + 1]!;
    const data = at + (large ? 4 : 2);
    found.push([wv[at]! & 0x3f, data, words * 2]);
    at = data + words * 2;
  }
  return found;
}

describe("POST /api/v1/remove on a WavPack file", () => {
  it("drops its APEv2 tag and blanks the WAV header and trailer it stores (LIST INFO, bext); the copy decodes the same and passes WavPack's checks", async () => {
    const wav = await tone("made.wav", ["-write_bext", "1", "-metadata", `description=${MARKER} bext`]);
    await appendListChunk(wav);
    const wv = await wavpack(wav, ["-m", "-w", `Title=${MARKER} ape title`, "-w", `Artist=${MARKER} ape artist`]);
    expect((await findMarker(wv, MARKER)).length).toBeGreaterThan(0);
    const sound = await decoded(wv);
    expect(sound).toMatch(/^MD5=[0-9a-f]{32}$/);

    const { out, removed } = await cleaned(wv);
    expect(removed).toMatchObject({ riff: expect.any(Number), ape: expect.any(Number) });
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(sound);
    await wvunpackVerifies(out);

    // Unpacked, the copy gives back a WAV of the same samples, its tag chunks now JUNK.
    const restored = path.join(dir, "restored.wav");
    await run("wvunpack", ["-q", "-y", out, "-o", restored]);
    expect(await findMarker(restored, MARKER)).toEqual([]);
    expect(await decoded(restored)).toBe(await decoded(wav));
    const tags = (await run(EXIFTOOL, ["-s", "-G", "-RIFF:all", restored])).stdout.toString("utf8");
    expect(tags).toContain("NumChannels");
    expect(tags).not.toMatch(/Artist|Comment|Description/);
  });

  it("leaves out the AIFF header WavPack 5 stores (its name and comment chunks); a decoder writes a fresh one", async () => {
    const wv = await wavpack(await tone("made.aiff"));
    expect((await findMarker(wv, MARKER)).length).toBeGreaterThan(0);
    const sound = await decoded(wv);

    const { out } = await cleaned(wv);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(sound);
    await wvunpackVerifies(out);
    const restored = path.join(dir, "restored.aiff");
    await run("wvunpack", ["-q", "-y", out, "-o", restored]);
    expect((await fs.readFile(restored)).toString("latin1", 8, 12)).toBe("AIFF");
    expect(await decoded(restored)).toBe(sound);
  });

  it("leaves out an optional sub-block of a kind no decoder reads, which ExifTool does not see either", async () => {
    const wv = await wavpack(await tone("plain.wav"), ["-r"]);
    const bytes = await fs.readFile(wv);
    // Put a sub-block of id 0x3e (optional, unassigned) holding the marker first in the first
    // block; the block's size grows by as much, and its checksum, last, is made right again.
    const text = Buffer.from(MARKER.length % 2 === 0 ? MARKER : `${MARKER}.`, "latin1");
    const hidden = Buffer.concat([Buffer.from([0x3e, text.length / 2]), text]);
    const firstEnd = 8 + bytes.readUInt32LE(4);
    const block = Buffer.concat([bytes.subarray(0, 32), hidden, bytes.subarray(32, firstEnd)]);
    block.writeUInt32LE(block.length - 8, 4);
    const checksum = firstBlockSubBlocks(block).find(([id]) => id === 0x2f);
    expect(checksum).toBeDefined();
    const [, at, size] = checksum!;
    let sum = 0xffffffff;
    for (let i = 0; i + 1 < at - 2; i += 2) sum = (Math.imul(sum, 3) + block[i]! + (block[i + 1]! << 8)) >>> 0;
    if (size === 4) block.writeUInt32LE(sum, at);
    else block.writeUInt16LE((sum ^ (sum >>> 16)) & 0xffff, at);
    const planted = path.join(dir, "planted.wv");
    await fs.writeFile(planted, Buffer.concat([block, bytes.subarray(firstEnd)]));
    await wvunpackVerifies(planted);
    const exif = (await run(EXIFTOOL, ["-a", "-u", "-G", planted])).stdout.toString("latin1");
    expect(exif).not.toContain(MARKER);

    const { out } = await cleaned(planted);
    expect(await findMarker(out, MARKER)).toEqual([]);
    await wvunpackVerifies(out);
    // The copy is the one of the file without that sub-block, byte for byte.
    expect((await fs.readFile(out)).equals(await fs.readFile((await cleaned(wv)).out))).toBe(true);
  });

  it("reports and removes the APEv2 tag of a file of WavPack's versions before 5, which ExifTool reads as a WAV", async () => {
    const wv = await wavpack(await tone("old.wav"), ["-w", `Artist=${MARKER} ape artist`]);
    const bytes = await fs.readFile(wv);
    // The same blocks marked as stream version 0x407 (WavPack 4.x), which decoders read alike.
    for (let at = 0; bytes.toString("latin1", at, at + 4) === "wvpk"; at += 8 + bytes.readUInt32LE(at + 4)) bytes.writeUInt16LE(0x407, at + 8);
    const old = path.join(dir, "old-version.wv");
    await fs.writeFile(old, bytes);
    expect((await run(EXIFTOOL, ["-s", "-s", "-s", "-FileType", old])).stdout.toString("utf8").trim()).toBe("WV");

    const findings = await findingsViaApi(server, "old-version.wv", bytes);
    expect(findings.find((f) => f.kind === "people")?.tags).toContain("ape:Artist");
    const { out, removed } = await cleaned(old);
    expect(removed).toMatchObject({ ape: 1 });
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(await decoded(old));
  });

  it("refuses one whose block runs past its end, as damaged", async () => {
    const wv = await wavpack(await tone("cut.wav"));
    const bytes = await fs.readFile(wv);
    const cut = path.join(dir, "cut.wv");
    await fs.writeFile(cut, bytes.subarray(0, bytes.length - 100));
    const outcome = await removeViaApi(server, cut);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The WavPack file is damaged: a block runs past the end of its sound.");
  });
});
