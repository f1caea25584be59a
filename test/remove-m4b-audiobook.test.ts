import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanIsoBoxes } from "../src/cleaners/media/iso-rewrite.js";
import { mediaContent, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { REFUSAL_MS } from "./helpers/quick-refusal.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

/*
 * Audiobooks (M4B) as ffmpeg, iTunes and audiobook tools write them: AAC sound, iTunes tags, and
 * the chapters twice, as a QuickTime chapter track (text samples that the sound track names in
 * its `tref/chap`) and as Nero's `chpl` list in `udta`. The chapters go with the rest of the
 * metadata (as ffmpeg's remux leaves them out); the sound stays, decoded sample for sample.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Bookmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-m4b-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Two seconds of AAC in two chapters whose titles, like the book's tags, hold the marker. */
async function makeAudiobook(): Promise<string> {
  const chapters = path.join(dir, `chapters-${crypto.randomUUID()}.txt`);
  const chapter = (start: number, title: string): string => `[CHAPTER]\nTIMEBASE=1/1000\nSTART=${start}\nEND=${start + 1000}\ntitle=${title}\n`;
  await fs.writeFile(chapters, `;FFMETADATA1\ntitle=${MARKER} book\nartist=${MARKER} narrator\n${chapter(0, `${MARKER} opening`)}${chapter(1000, `${MARKER} ending`)}`);
  const file = path.join(dir, `book-${crypto.randomUUID()}.m4b`);
  await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-i", chapters, "-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", "-f", "mp4", file]);
  return file;
}

interface Box {
  type: string;
  at: number;
  end: number;
}

/** Child boxes of `[from, to)` (32-bit sizes). */
function boxes(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  for (let at = from; at + 8 <= to; at += buf.readUInt32BE(at)) out.push({ type: buf.toString("latin1", at + 4, at + 8), at, end: at + buf.readUInt32BE(at) });
  return out;
}

/** Where each container's children start after its header (a sample entry's after its fixed fields). */
const CHILDREN_AT: Readonly<Record<string, number>> = { moov: 8, trak: 8, mdia: 8, minf: 8, stbl: 8, stsd: 16, mp4a: 36 };

/**
 * The boxes from the top down to the first box of `type` in `[from, to)` that has a payload (the
 * sound track's first: it comes first), or null.
 */
function chainTo(buf: Buffer, type: string, from = 0, to = buf.length): Box[] | null {
  for (const b of boxes(buf, from, to)) {
    if (b.type === type && b.end - b.at > 8) return [b];
    const inner = CHILDREN_AT[b.type] == null ? null : chainTo(buf, type, b.at + CHILDREN_AT[b.type]!, b.end);
    if (inner != null) return [b, ...inner];
  }
  return null;
}

/**
 * `buf` without its bytes `[from, from + cut)`, which lie in the last box of `chain`, every box of
 * the chain shrunk to match. The `moov` follows the media data, so no chunk offset moves.
 */
function cutInside(buf: Buffer, chain: readonly Box[], from: number, cut: number): Buffer {
  const out = Buffer.concat([buf.subarray(0, from), buf.subarray(from + cut)]);
  for (const b of chain) out.writeUInt32BE(out.readUInt32BE(b.at) - cut, b.at);
  return out;
}

/**
 * The book with its AudioSpecificConfig cut to its first two bytes and the dependsOnCoreCoder flag
 * set, with no core coder delay after it: mutagen's ep7.m4b has such a config, which players
 * decode (a bit reader gives zeros past the end) but ffmpeg's ADTS muxer refuses as "scalable".
 */
async function withShortCoreCoderConfig(file: string): Promise<string> {
  const buf = await fs.readFile(file);
  const chain = chainTo(buf, "esds")!;
  // ES descriptor (3) > decoder config (4) > decoder specific info (5), each with a 4-byte length.
  const descriptor = (tag: number): number => buf.indexOf(Buffer.from([tag, 0x80, 0x80, 0x80]), chain[chain.length - 1]!.at);
  const dsi = descriptor(0x05);
  const cut = buf[dsi + 4]! - 2;
  expect(cut).toBeGreaterThan(0);
  const out = cutInside(buf, chain, dsi + 7, cut);
  out[dsi + 4] = 2;
  out[dsi + 6]! |= 0x02;
  for (const at of [descriptor(0x03), descriptor(0x04)]) out[at + 4]! -= cut;
  return savedIn(dir, "short-asc.m4b", out);
}

async function expectCleanBook(file: string): Promise<void> {
  expect(await findMarker(file, MARKER)).not.toEqual([]);
  expect(await streamKinds(file)).toEqual(["audio", "data"]);
  const before = await mediaContent(file);
  const { out } = await cleanedCopyViaApi(server, file, dir);
  expect(await findMarker(out, MARKER)).toEqual([]);
  expect(await streamKinds(out)).toEqual(["audio"]);
  expect(await mediaContent(out)).toEqual(before);
  const chapters = await run("ffprobe", ["-v", "error", "-show_chapters", "-of", "csv", out]);
  expect(chapters.stdout.toString("utf8").trim()).toBe("");
}

describe("POST /api/v1/remove on an audiobook with chapters", () => {
  it("rewrites its boxes (no remux): the chapter track is dropped with its samples zeroed, the Nero chapter list goes with udta", async () => {
    const file = await makeAudiobook();
    const workDir = await fs.mkdtemp(path.join(dir, "work-"));
    const out = path.join(dir, `direct-${crypto.randomUUID()}.m4b`);
    expect(await cleanIsoBoxes(file, out, workDir, { file, demuxer: "mov", demuxerArgs: ["-enable_drefs", "0"] })).not.toBeNull();
    expect(await findMarker(out, MARKER)).toEqual([]);
    await expectCleanBook(file);
  });

  it("cleans one whose AAC config is cut short after a dependsOnCoreCoder flag, which ffmpeg's ADTS copy refuses", async () => {
    const file = await withShortCoreCoderConfig(await makeAudiobook());
    await expect(run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0:a", "-c", "copy", "-f", "adts", "-"])).rejects.toThrow(/Scalable configurations are not allowed in ADTS/);
    await expectCleanBook(file);
  });

  it("refuses one whose sample size tables are cut to their headers (its sound cut out) as damaged, quickly, where ExifTool's process dies on it", async () => {
    let buf: Buffer = await fs.readFile(await makeAudiobook());
    // The sound track's, then the chapter track's, which ExifTool's -ee reader unpacks, as in mutagen's nero-chapters.m4b.
    for (let i = 0; i < 2; i++) {
      const chain = chainTo(buf, "stsz")!;
      const stsz = chain[chain.length - 1]!;
      buf = cutInside(buf, chain, stsz.at + 8, stsz.end - stsz.at - 8);
    }
    const file = await savedIn(dir, "cut-stsz.m4b", buf);
    const started = Date.now();
    const { status, body, cleaned } = await removeViaApi(server, file, "cut.m4b");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is damaged: a track's table of samples is cut short.");
    expect(cleaned).toBeNull();
    expect(Date.now() - started).toBeLessThan(REFUSAL_MS);
  });
});
