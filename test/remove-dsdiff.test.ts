import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * DSDIFF (.dff, one of the two formats DSD albums are sold in) was an unsupported type, and
 * ExifTool does not read it. Besides its sound it carries dated comments, the edited master
 * information (artist, title, markers with text, the master's id), a maker's chunk and an ID3 tag.
 */

let server: RunningServer;
let dir: string;
const MARKER = "DsdiffHidden4410";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-dsdiff-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** A chunk: id, 64-bit big-endian size, data, a pad byte to an even size. */
function chunk(id: string, ...data: Buffer[]): Buffer {
  const body = Buffer.concat(data);
  const head = Buffer.alloc(12);
  head.write(id, 0, "latin1");
  head.writeBigUInt64BE(BigInt(body.length), 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function counted(text: string): Buffer {
  return Buffer.concat([u32(text.length), Buffer.from(text, "latin1")]);
}

/** The form around `chunks`: "FRM8", its size, "DSD ". */
function form(chunks: readonly Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from("DSD ", "latin1"), ...chunks]);
  const head = Buffer.alloc(12);
  head.write("FRM8", 0, "latin1");
  head.writeBigUInt64BE(BigInt(body.length), 4);
  return Buffer.concat([head, body]);
}

/** Stereo DSD64 properties, with an absolute start time and a property of no known kind. */
function properties(compression: "DSD " | "DST "): Buffer {
  const name = compression === "DSD " ? "not compressed" : "DST Encoded";
  return chunk(
    "PROP", Buffer.from("SND ", "latin1"),
    chunk("FS  ", u32(2822400)),
    chunk("CHNL", u16(2), Buffer.from("SLFTSRGT", "latin1")),
    chunk("CMPR", Buffer.from(compression, "latin1"), Buffer.from([name.length]), Buffer.from(name, "latin1")),
    chunk("ABSS", u16(14), Buffer.from([25, 36]), u32(1234)),
    chunk("XTRA", Buffer.from(`${MARKER} property`, "latin1")),
  );
}

/** What goes around the sound: dated comments, the edited master information, a maker's chunk, an ID3 tag, a chunk of no known kind. */
function metadataChunks(): Buffer[] {
  const comment = (text: string): Buffer => Buffer.concat([u16(2019), Buffer.from([5, 4, 12, 30]), u16(0), u16(0), counted(text), Buffer.alloc(text.length % 2)]);
  const id3Frame = Buffer.concat([Buffer.from("TIT2", "latin1"), u32(MARKER.length + 1), u16(0), Buffer.from([0]), Buffer.from(MARKER, "latin1")]);
  const id3 = Buffer.concat([Buffer.from("ID3", "latin1"), Buffer.from([3, 0, 0, 0, 0, 0, id3Frame.length]), id3Frame]);
  return [
    chunk("COMT", u16(1), comment(`${MARKER} recorded in the hall`)),
    chunk(
      "DIIN",
      chunk("EMID", Buffer.from(`${MARKER}-master`, "latin1")),
      chunk("MARK", u16(0), Buffer.from([1, 2]), u32(0), u32(0), u16(0), u16(0), u16(0), counted(`${MARKER} marker`)),
      chunk("DIAR", counted(`${MARKER} artist`)),
      chunk("DITI", counted(`${MARKER} title`)),
    ),
    chunk("MANF", Buffer.from(`SONY${MARKER}`, "latin1")),
    chunk("ID3 ", id3),
    chunk("ZZZZ", Buffer.from(MARKER, "latin1")),
  ];
}

/** One second of a DSD pattern that decodes to sound, not silence. */
function samples(): Buffer {
  const s = Buffer.alloc(2 * 2822400 / 8);
  for (let i = 0; i < s.length; i++) s[i] = (i * 37 + (i >> 5)) & 0xff;
  return s;
}

async function decoded(file: string): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

describe("POST /api/v1/remove on a DSDIFF file", () => {
  const version = chunk("FVER", u32(0x01050000));

  it("reports and drops its comments, master information, maker's chunk and ID3 tag; the sound is copied byte for byte", async () => {
    const sound = chunk("DSD ", samples());
    const file = path.join(dir, "album.dff");
    await fs.writeFile(file, form([version, properties("DSD "), ...metadataChunks().slice(0, 2), sound, ...metadataChunks().slice(2)]));
    const before = await decoded(file);
    expect(before).toMatch(/^MD5=[0-9a-f]{32}$/);

    const findings = await findingsViaApi(server, "album.dff", await fs.readFile(file));
    const tags = findings.flatMap((f) => f.tags ?? []);
    expect(tags).toEqual(expect.arrayContaining(["dff:Artist", "dff:Comment", "dff:CommentDate"]));

    const outcome = await removeViaApi(server, file);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(outcome.body["remaining"]).toEqual({});
    const copy = outcome.cleaned!;
    const out = path.join(dir, "cleaned.dff");
    await fs.writeFile(out, copy);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await decoded(out)).toBe(before);
    expect(Number(copy.readBigUInt64BE(4)) + 12).toBe(copy.length);
    // The absolute start time is still there, zeroed; the sound is the same bytes.
    const abss = copy.indexOf("ABSS", 0, "latin1");
    expect(abss).toBeGreaterThan(0);
    expect(copy.subarray(abss + 12, abss + 20).every((b) => b === 0)).toBe(true);
    expect(copy.includes(sound)).toBe(true);
  });

  it("moves a DST index's offsets back by the bytes dropped before the frames, so each still points at its frame", async () => {
    const frame = (n: number): Buffer => chunk("DSTF", Buffer.alloc(40, n));
    const dst = chunk("DST ", chunk("FRTE", u32(2), u16(75)), frame(1), frame(2));
    const before = [version, properties("DST "), ...metadataChunks().slice(0, 2)];
    const dstAt = 16 + Buffer.concat(before).length;
    const frameAt = (n: number): number => dstAt + 12 + 18 + n * 52;
    const index = chunk("DSTI", ...[0, 1].map((n) => Buffer.concat([Buffer.alloc(4), u32(frameAt(n)), u32(52)])));
    const file = path.join(dir, "dst.dff");
    const original = form([...before, dst, index]);
    for (const n of [0, 1]) expect(original.toString("latin1", frameAt(n), frameAt(n) + 4)).toBe("DSTF");
    await fs.writeFile(file, original);

    const outcome = await removeViaApi(server, file);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    const copy = outcome.cleaned!;
    expect(await findMarker(copy, MARKER)).toEqual([]);
    const entries = copy.indexOf("DSTI", 0, "latin1") + 12;
    for (const n of [0, 1]) {
      const offset = Number(copy.readBigUInt64BE(entries + n * 12));
      expect(copy.toString("latin1", offset, offset + 4)).toBe("DSTF");
      expect(copy[offset + 12]).toBe(n + 1);
    }
  });

  it("refuses one holding a second sound chunk, which no player reads and the copy would keep as sound", async () => {
    const file = path.join(dir, "two-sounds.dff");
    await fs.writeFile(file, form([version, properties("DSD "), chunk("DSD ", samples()), chunk("DSD ", Buffer.from(MARKER, "latin1"))]));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The DSDIFF file is damaged: it holds a chunk twice that it may hold once.");
  });

  it("refuses one whose sound chunk runs past its end, as damaged", async () => {
    const file = path.join(dir, "cut.dff");
    const whole = form([version, properties("DSD "), chunk("DSD ", samples())]);
    await fs.writeFile(file, whole.subarray(0, whole.length - 1000));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The DSDIFF file is damaged: its DSD chunk runs past the end of the chunk holding it.");
  });
});
