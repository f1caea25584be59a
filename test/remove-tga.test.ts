import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedTga, TGA_SIGNATURE, tgaText, type TgaText } from "./helpers/make-bitmaps.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeBytesWatched, HEALTH_MS, REFUSAL_MS, TREE_MB } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

/*
 * Truevision Targa pictures (metadata-extractor-images' tga/, Pillow's Tests/images) were refused as
 * an unknown type: TGA has no magic number and ExifTool no module for it, so the author, comments,
 * software, postage stamp and developer data of a version 2 file were neither shown nor removed.
 */

const MARKER = `Tgamark${crypto.randomBytes(6).toString("hex")}`;
const TEXT: TgaText = tgaText(MARKER);

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tga-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** ImageMagick's signature of the decoded picture. */
async function signature(bytes: Buffer): Promise<string> {
  const file = path.join(dir, `sig-${crypto.randomUUID()}.tga`);
  await fs.writeFile(file, bytes);
  const { stdout } = await run(CONVERT, [`tga:${file}`, "-format", "%#", "info:"]);
  return stdout.toString("utf8").trim();
}

describe("TGA pictures", () => {
  it("extraction shows what a version 2 file tells, and says so in findings", async () => {
    const { marked } = await markedTga(path.join(dir, "x.tga"), true, "TrueColor", TEXT);
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "x.tga", data: marked }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as { metadata: Record<string, Record<string, unknown>>; findings: { kind: string; tags: string[] }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.metadata["File"]!["FileType"]).toBe("TGA");
    expect(body.metadata["tga"]).toMatchObject({ Author: TEXT.author, Software: TEXT.software, ImageID: TEXT.imageId, DateTimeCreated: "2024:11:23 14:05:09" });
    const kinds = new Set(body.findings.map((f) => f.kind));
    for (const kind of ["people", "software", "time", "hidden", "previews"]) expect(kinds, kind).toContain(kind);
  });

  it.each([
    [true, "TrueColor"],
    [false, "TrueColor"],
    [true, "Palette"],
    [false, "Palette"],
  ] as const)("removal leaves the picture as drawn, none of what was added (RLE %s, %s)", async (rle, type) => {
    const { drawn, marked } = await markedTga(path.join(dir, `${type}-${rle}.tga`), rle, type, TEXT);
    // ImageMagick wrote a version 1 file with no image ID: the clean copy must be that file.
    expect(drawn[0]).toBe(0);
    expect(drawn.includes(TGA_SIGNATURE)).toBe(false);
    const { status, body, cleaned } = await removeViaApi(server, await write(`marked-${type}-${rle}.tga`, marked), "picture.tga");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["tga"]).toBeGreaterThanOrEqual(8);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.equals(drawn)).toBe(true);
    expect(await signature(cleaned!)).toBe(await signature(marked));
  });

  it("says in words why a picture whose run-length data is cut short cannot be cleaned", async () => {
    const { drawn } = await markedTga(path.join(dir, "cut.tga"), true, "TrueColor", TEXT);
    const { status, body } = await removeViaApi(server, await write("cut-short.tga", drawn.subarray(0, drawn.length - 10)));
    expect(status).toBe(422);
    expect(body["error"]).toBe("The TGA picture is damaged: its pixel data is cut short.");
  });

  it("a 65535 x 65535 header over 20 MB of one-pixel packets is a quick 422 with bounded memory", async () => {
    const header = Buffer.alloc(18);
    header[2] = 11; // grey, run-length
    header.writeUInt16LE(65535, 12);
    header.writeUInt16LE(65535, 14);
    header[16] = 8;
    const packets = Buffer.alloc(20 * 1024 * 1024); // raw packets of one pixel each: 0x00, value
    const { result, ms, peakTreeMb, slowestHealthMs } = await removeBytesWatched(server, dir, "huge.tga", Buffer.concat([header, packets]));
    expect(result.status).toBe(422);
    expect(result.body["error"]).toBe("The TGA picture is damaged: its pixel data is cut short.");
    expect(ms).toBeLessThan(REFUSAL_MS);
    expect(peakTreeMb).toBeLessThan(TREE_MB);
    expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
  });
});

async function write(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}
