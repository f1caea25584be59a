import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION, chunk, form, markedDsdiff, metadataChunks, properties, samples, u16, u32 } from "./helpers/make-dsdiff.js";
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

async function decoded(file: string): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

describe("POST /api/v1/remove on a DSDIFF file", () => {
  it("reports and drops its comments, master information, maker's chunk and ID3 tag; the sound is copied byte for byte", async () => {
    const sound = chunk("DSD ", samples());
    const file = path.join(dir, "album.dff");
    await fs.writeFile(file, markedDsdiff(MARKER, sound));
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
    const before = [VERSION, properties("DST ", MARKER), ...metadataChunks(MARKER).slice(0, 2)];
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
    await fs.writeFile(file, form([VERSION, properties("DSD ", MARKER), chunk("DSD ", samples()), chunk("DSD ", Buffer.from(MARKER, "latin1"))]));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The DSDIFF file is damaged: it holds a chunk twice that it may hold once.");
  });

  it("refuses one whose sound chunk runs past its end, as damaged", async () => {
    const file = path.join(dir, "cut.dff");
    const whole = form([VERSION, properties("DSD ", MARKER), chunk("DSD ", samples())]);
    await fs.writeFile(file, whole.subarray(0, whole.length - 1000));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The DSDIFF file is damaged: its DSD chunk runs past the end of the chunk holding it.");
  });
});
