import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedAss } from "./helpers/make-media.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * Matroska wants an ASS track's header (its codec private data) in UTF-8, but old muxers copied
 * scripts saved in a Windows code page, and damage leaves any byte there. The header was read as
 * UTF-8: each invalid byte became a three-byte U+FFFD, the cleaned header came out longer than
 * the original it is written over, and the removal was a 500 (fuzz seed 1923164120). It is now
 * read byte for byte: the editor fields go, the kept lines keep their bytes.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ass-bytes-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on an MKV whose ASS header is not UTF-8", () => {
  it("loses its editor fields and keeps the bytes of its styles", async () => {
    const marker = `AssLatin${crypto.randomBytes(6).toString("hex")}`;
    const utf8 = await fs.readFile(await markedAss(dir, marker), "utf8");
    // Windows-1252 as Latin-1 writes it: "é" is the one byte 0xE9, no UTF-8.
    const latin1 = utf8.replace(`Title: ${marker} title`, `Title: ${marker} titl\u00e9`).replace("Style: Default,Arial,", "Style: Default,Ari\u00e9l,");
    const script = path.join(dir, "latin1.ass");
    await fs.writeFile(script, Buffer.from(latin1, "latin1"));
    const file = path.join(dir, "latin1.mkv");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-i", script, "-map", "0", "-map", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:s", "copy", file]);
    const style = Buffer.from("Ari\u00e9l", "latin1");
    expect((await fs.readFile(file)).includes(style)).toBe(true);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["subtitleHeaders"]).toBeGreaterThan(0);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(cleaned!.includes(style)).toBe(true);
  }, 60_000);
});
