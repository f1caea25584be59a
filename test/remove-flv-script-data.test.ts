import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFlvWithScriptData } from "./helpers/make-flv.js";
import { mediaContent, streamKinds } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Flvmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-flv-script-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The text of each packet of the file's subtitle track. */
async function subtitleTexts(file: string): Promise<string[]> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "s", "-show_entries", "packet=data", "-show_data", "-of", "json", file]);
  const packets = (JSON.parse(stdout.toString("utf8")) as { packets?: Array<{ data?: string }> }).packets ?? [];
  return packets.map((p) =>
    Buffer.from(
      (p.data ?? "").split("\n").filter((l) => /^[0-9a-f]{8}: /.test(l)).map((l) => l.slice(10, 49).replace(/ /g, "")).join(""),
      "hex",
    ).toString("latin1"),
  );
}

async function cleaned(file: string): Promise<{ body: Record<string, unknown>; out: string }> {
  const { status, body, cleaned: bytes } = await removeViaApi(server, file, "clip.flv");
  expect(status, JSON.stringify(body)).toBe(200);
  const out = path.join(dir, `cleaned-${crypto.randomUUID()}.flv`);
  await fs.writeFile(out, bytes!);
  return { body, out };
}

describe("POST /api/v1/remove on an FLV with cue points and later script tags (FLVTool2, live-stream recordings)", () => {
  it("leaves out the cue points and script tags ffmpeg reads as a subtitle track, and keeps the video and sound", async () => {
    const file = await makeFlvWithScriptData(dir, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    // The case: the script tags come out of ffmpeg's demuxer as a "text" subtitle track.
    expect((await streamKinds(file)).sort()).toEqual(["audio", "subtitle", "video"]);
    const before = await mediaContent(file);

    const { body, out } = await cleaned(file);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["scriptData"]).toBe(3);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await streamKinds(out)).sort()).toEqual(["audio", "video"]);
    const after = await mediaContent(out);
    expect(after["video"]).toBe(before["video"]);
    expect(after["audio"]).toBe(before["audio"]);
  });

  // The track then mixes text and script tags and is kept whole: ffmpeg's muxer writes each script
  // tag as a cue of one byte (the AMF string marker before the name's length), so the names and
  // parameters are gone but those empty cues stay.
  it("keeps an onTextData subtitle track (timed text is content) and its text, without the cue points' names and parameters", async () => {
    const file = await makeFlvWithScriptData(dir, MARKER, { timedText: true });
    expect(await subtitleTexts(file)).toContain("Hello there");

    const { body, out } = await cleaned(file);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await streamKinds(out)).sort()).toEqual(["audio", "subtitle", "video"]);
    expect(await subtitleTexts(out)).toContain("Hello there");
    const [before, after] = [await mediaContent(file), await mediaContent(out)];
    expect(after["video"]).toBe(before["video"]);
    expect(after["audio"]).toBe(before["audio"]);
  });
});
