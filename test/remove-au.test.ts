import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ffmpegAu } from "./helpers/make-au.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Sun/NeXT audio (.au, .snd: Java's and old Unix tools' sound files) was an unsupported type,
 * and ExifTool does not read it. Between its header and its samples it carries an annotation,
 * free text: ffmpeg writes the title, artist and comment there, others a note or a file name.
 */

let server: RunningServer;
let dir: string;
const MARKER = "AuHidden6021";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-au-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function decoded(file: string): Promise<string> {
  return (await run("ffmpeg", [...ffmpegQuiet, "-i", file, "-map", "0:a", "-f", "md5", "-"])).stdout.toString("utf8").trim();
}

async function cleaned(file: string): Promise<{ out: string; copy: Buffer; removed: Record<string, number> }> {
  const outcome = await removeViaApi(server, file);
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, outcome.cleaned!);
  return { out, copy: outcome.cleaned!, removed: outcome.body["removed"] as Record<string, number> };
}

describe("POST /api/v1/remove on an AU file", () => {
  it.each(["pcm_s16be", "pcm_mulaw"])("%s: reports and empties the annotation ffmpeg writes its tags into; the samples are the same bytes", async (codec) => {
    const file = await ffmpegAu(dir, `tagged-${codec}.au`, codec, `title=${MARKER} take`, `artist=${MARKER} singer`, `comment=${MARKER} notes`);
    const bytes = await fs.readFile(file);
    expect(bytes.includes(MARKER, 0, "latin1")).toBe(true);
    const findings = await findingsViaApi(server, "take.au", bytes);
    expect(findings.flatMap((f) => f.tags ?? [])).toContain("au:Annotation");

    const { out, copy, removed } = await cleaned(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(removed["au"]).toBe(1);
    expect(await decoded(out)).toBe(await decoded(file));
    expect(copy.subarray(copy.readUInt32BE(4)).equals(bytes.subarray(bytes.readUInt32BE(4)))).toBe(true);
  });

  it("text hidden after the annotation's end, and bytes after the samples the header counts, go", async () => {
    const plain = await fs.readFile(await ffmpegAu(dir, "plain.au", "pcm_s16be"));
    const samples = plain.subarray(plain.readUInt32BE(4));
    const annotation = Buffer.from(`Recorded\0${MARKER} behind the end\0\0\0`, "latin1");
    const header = Buffer.from(plain.subarray(0, 24));
    header.writeUInt32BE(24 + annotation.length, 4);
    const file = path.join(dir, "hidden.au");
    await fs.writeFile(file, Buffer.concat([header, annotation, samples, Buffer.from(`${MARKER} after the samples`, "latin1")]));
    const reference = path.join(dir, "reference.au");
    await fs.writeFile(reference, Buffer.concat([header, annotation, samples]));

    const { out, copy } = await cleaned(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(copy.readUInt32BE(8)).toBe(samples.length);
    expect(await decoded(out)).toBe(await decoded(reference));
  });

  it("a data size the writer did not know (a stream) stays unknown, the samples running to the end", async () => {
    const bytes = Buffer.from(await fs.readFile(await ffmpegAu(dir, "stream.au", "pcm_s16be", `title=${MARKER}`)));
    bytes.writeUInt32BE(0xffffffff, 8);
    const file = path.join(dir, "stream-unknown.au");
    await fs.writeFile(file, bytes);

    const { out, copy } = await cleaned(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(copy.readUInt32BE(8)).toBe(0xffffffff);
    expect(await decoded(out)).toBe(await decoded(file));
  });

  it("refuses one whose samples start past its end, as damaged", async () => {
    const bytes = Buffer.from(await fs.readFile(await ffmpegAu(dir, "short.au", "pcm_s16be")));
    const file = path.join(dir, "short-cut.au");
    bytes.writeUInt32BE(1000, 4);
    await fs.writeFile(file, bytes.subarray(0, 500));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The AU file is damaged: its samples start past the end of the file.");
  });
});
