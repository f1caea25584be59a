import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeMarkedMedia } from "./helpers/make-media.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * Fuzz seed 330585845, #5311: one bit more in the length of an AVI's video format chunk (`strf`)
 * made it run past its stream list. ffmpeg read it up to the list's end anyway, so the stream's
 * name (`strn`, a metadata field) became the video's codec private data, and the copy carried it
 * whole. Such an AVI is now refused as damaged; the same file undamaged is cleaned.
 */
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-avi-headers-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The offset of the first `id` chunk at or after `from` (its four letters). */
function chunkAt(bytes: Buffer, id: string, from = 0): number {
  const at = bytes.indexOf(id, from, "latin1");
  if (at < 0) throw new Error(`no ${id} chunk`);
  return at;
}

it("an AVI whose video format chunk runs past its stream list (the stream's name inside) is refused as damaged, with no copy; undamaged, it is cleaned", async () => {
  const marker = `AviHdr${crypto.randomBytes(6).toString("hex")}`;
  const good = await makeMarkedMedia(dir, "avi", marker);
  const bytes = await fs.readFile(good);
  const strl = chunkAt(bytes, "LIST") === chunkAt(bytes, "hdrl") - 8 ? chunkAt(bytes, "strl") - 8 : -1;
  expect(strl).toBeGreaterThan(0);
  const strf = chunkAt(bytes, "strf", strl);
  // The stream's name, with the marker, lies after the format in the same list.
  expect(bytes.indexOf(marker, strf, "latin1")).toBeLessThan(strl + 8 + bytes.readUInt32LE(strl + 4));

  const damaged = Buffer.from(bytes);
  damaged.writeUInt32LE(bytes.readUInt32LE(strf + 4) | 0x200000, strf + 4);
  const file = path.join(dir, "damaged.avi");
  await fs.writeFile(file, damaged);
  const refused = await removeViaApi(server, file);
  expect(refused.status, JSON.stringify(refused.body)).toBe(422);
  expect(refused.body["error"]).toBe("The AVI file is damaged: its stream headers do not fit in their lists.");
  expect(refused.cleaned).toBeNull();

  const cleaned = await removeViaApi(server, good);
  expect(cleaned.status, JSON.stringify(cleaned.body)).toBe(200);
  expect(cleaned.cleaned!.includes(marker, 0, "latin1")).toBe(false);
  const copy = path.join(dir, "cleaned.avi");
  await fs.writeFile(copy, cleaned.cleaned!);
  const streams = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", copy]);
  expect(streams.stdout.toString("utf8").trim().split("\n")).toEqual(["video", "audio"]);
});
