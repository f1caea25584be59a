import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedTga, tgaText, type TgaText } from "./helpers/make-bitmaps.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, startServer, type RunningServer } from "./helpers/server.js";
import { exiftool, pixelSignature } from "./helpers/tools.js";

/*
 * ExifTool calls a file of no known type MP3 when an MPEG audio frame header lies in its first 256
 * bytes, or "TAG" (an ID3v1 tag) 128 bytes before its end. A Targa picture, which has no magic
 * number, can hold either in its image ID, pixels or extension area: such a file was taken for
 * an MP3 and not cleaned as a picture.
 */

const MARKER = `Tgamp3${crypto.randomBytes(6).toString("hex")}`;
/** MPEG-1 layer 3, 128 kbit/s, 44.1 kHz: the frame header ExifTool looks for. */
const FRAME_HEADER = "\xff\xfb\x90\x64";
const TEXT: TgaText = tgaText(MARKER);
/** Where the job name (at 379 in the extension area, which the footer's 26 bytes follow) meets the file's 128th byte from its end. */
const ID3V1_IN_JOB_NAME = 495 + 26 - 128 - 379;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tga-mp3-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a Targa picture ExifTool takes for an MP3", () => {
  it.each([
    ["an MPEG frame header in its image ID", { ...TEXT, imageId: `${FRAME_HEADER} ${MARKER}` }],
    ['"TAG" in its job name, 128 bytes before the end', { ...TEXT, jobName: `${"j".repeat(ID3V1_IN_JOB_NAME)}TAG ${MARKER}` }],
  ] as const)("with %s is cleaned as a picture", async (_what, text) => {
    const file = path.join(dir, `${crypto.randomUUID()}.tga`);
    const { drawn, marked } = await markedTga(file, true, "TrueColor", text);
    await fs.writeFile(file, marked);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("MP3");
    const extracted = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "picture.tga", data: marked }, { headers: { "X-API-Key": server.apiKey } });
    const read = (await extracted.json()) as { metadata: Record<string, Record<string, unknown>> };
    expect(read.metadata["File"]?.["FileType"], JSON.stringify(read)).toBe("TGA");
    expect(Object.keys(read.metadata).filter((group) => group !== "File" && group !== "tga")).toEqual([]);
    expect(read.metadata["File"]?.["ID3Size"]).toBeUndefined();

    const { status, body, cleaned } = await removeViaApi(server, file, "picture.tga");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    // ImageMagick's version 1 file, as drawn.
    expect(cleaned!.equals(drawn)).toBe(true);
    const out = path.join(dir, `cleaned-${path.basename(file)}`);
    await fs.writeFile(out, cleaned!);
    expect(await pixelSignature(`tga:${out}`)).toBe(await pixelSignature(`tga:${file}`));
  });
});
