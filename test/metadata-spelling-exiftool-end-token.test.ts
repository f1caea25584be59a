import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngChunk } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, pixelSignature, run } from "./helpers/tools.js";

/*
 * ExifTool, kept running, ends each answer with the line `{ready}`, and the pool took the first
 * `{ready}` anywhere in its output for that end: a file whose metadata holds the text had its
 * answer cut there. The rest was lost (an answer of more than one 64 kB piece failed to parse:
 * "ExifTool could not read this file", nothing extracted, and a removal refused), or the value
 * itself was (a comment "{ready}" came back empty). A value is never the end of the answer.
 */

let server: RunningServer;
let dir: string;
const MARKER = "Endtokenmarker";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-end-token-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

/** A PNG made by ImageMagick with these text chunks before its image data. */
async function pngWithText(name: string, chunks: Buffer[]): Promise<string> {
  const plain = path.join(dir, `plain-${name}`);
  await run(CONVERT, ["-size", "32x32", "gradient:orange-blue", "-define", "png:exclude-chunks=date,time", plain]);
  const png = await fs.readFile(plain);
  const idat = png.indexOf("IDAT") - 4;
  const file = path.join(dir, name);
  await fs.writeFile(file, Buffer.concat([png.subarray(0, idat), ...chunks, png.subarray(idat)]));
  return file;
}

const text = (keyword: string, value: string): Buffer => pngChunk("tEXt", Buffer.from(`${keyword}\0${value}`, "latin1"));

async function extract(file: string): Promise<Json> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

describe("metadata spelling ExifTool's end-of-answer token", () => {
  it.each([
    ["a short answer", 0],
    ["an answer of many pieces (a 600 kB value after it)", 600_000],
  ])("is extracted as written, with all that follows it, in %s", async (_name, size) => {
    const long = size > 0 ? [pngChunk("zTXt", Buffer.concat([Buffer.from("Description\0\0", "latin1"), zlib.deflateSync(Buffer.alloc(size, "d"))]))] : [];
    const file = await pngWithText(`token-${size}.png`, [text("Comment", "{ready}"), text("Title", "before {ready} after"), ...long, text("Author", MARKER)]);
    const body = await extract(file);
    const png = body["metadata"]["png"] as Json;
    expect(body["warnings"]).toEqual([]);
    expect(png["Comment"]).toBe("{ready}");
    expect(png["Title"]).toBe("before {ready} after");
    expect(png["Author"]).toBe(MARKER);
    if (size > 0) expect(png["Description"]).toBe("d".repeat(size));
  }, 60_000);

  it("is removed with the rest, the picture unchanged", async () => {
    const long = pngChunk("zTXt", Buffer.concat([Buffer.from("Description\0\0", "latin1"), zlib.deflateSync(Buffer.alloc(600_000, "d"))]));
    const file = await pngWithText("token-remove.png", [text("Comment", "{ready}"), long, text("Author", MARKER)]);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["png"]).toBeGreaterThanOrEqual(3);
    const out = path.join(dir, "token-cleaned.png");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(cleaned!.includes("{ready}")).toBe(false);
    expect(await pixelSignature(out)).toBe(await pixelSignature(file));
  }, 60_000);
});
