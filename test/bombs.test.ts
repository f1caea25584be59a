import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-files.js";
import { iccProfile } from "./helpers/make-images.js";
import { docxWithCoreBomb, odtWithMetaBomb, pdfWithAttachmentBomb, pdfWithStreamBombs, pngWithIccpBomb, pngWithZtxtBomb } from "./helpers/fuzz-bombs.js";
import { addressSpaceLimit, exiftoolPids, servicePeakRssKb, tempFiles } from "./helpers/fuzz-proc.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

const MB = 1024 * 1024;
/** The cap the service sets on each ExifTool process (src/process-limits.ts). */
const EXIFTOOL_CAP = 512 * MB;

let server: RunningServer;
let dir: string;
let png: Buffer;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-bombs-"));
  const file = path.join(dir, "base.png");
  await run(CONVERT, ["-size", "8x8", "xc:red", file]);
  png = await fs.readFile(file);
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function post(endpoint: "extract" | "remove", name: string, data: Buffer): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const res = await postFile(`${server.baseUrl}/api/v1/${endpoint}`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, ms: Date.now() - started };
}

describe("every ExifTool process", () => {
  it("runs under an address-space cap", async () => {
    await post("extract", "warm.png", png);
    const pids = await exiftoolPids(server.process.pid!);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect(await addressSpaceLimit(pid)).toBe(EXIFTOOL_CAP);
  });
});

type Bomb = [label: string, name: string, make: () => Promise<Buffer>];

const bombs: Bomb[] = [
  ["a PNG whose zTXt inflates to 200 MB", "ztxt.png", () => pngWithZtxtBomb(png, 200 * MB)],
  ["a PNG whose iCCP profile inflates to 200 MB", "iccp.png", () => pngWithIccpBomb(png, 200 * MB, iccProfile("bomb"))],
  ["a DOCX whose core properties inflate to 1 GB", "core.docx", () => docxWithCoreBomb(1024 * MB)],
  ["an ODT whose meta.xml inflates to 1 GB", "meta.odt", () => odtWithMetaBomb(1024 * MB)],
  ["a PDF whose XMP and content streams inflate to 1 GB each", "streams.pdf", () => pdfWithStreamBombs(1024 * MB)],
  ["a PDF whose attached file inflates to 1 GB", "attached.pdf", () => pdfWithAttachmentBomb(1024 * MB)],
];

describe("decompression bombs", () => {
  it.each(bombs)("%s: extract answers with what it could read, remove refuses, within fixed memory", async (_label, name, make) => {
    const data = await make();
    expect(data.length).toBeLessThan(4 * MB);

    const extracted = await post("extract", name, data);
    // A bomb is the client's file, never the service's failure.
    expect([200, 422]).toContain(extracted.status);
    expect(extracted.ms).toBeLessThan(45_000);
    // Never the inflated text: a response of megabytes would mean the bomb went off in the JSON.
    expect(JSON.stringify(extracted.body).length).toBeLessThan(MB);

    const removed = await post("remove", name, data);
    // Refused, or cleaned: a cleaned copy can only be one that passed verification.
    expect([200, 422]).toContain(removed.status);
    expect(removed.ms).toBeLessThan(45_000);
    if (removed.status === 422) expect(typeof removed.body["error"]).toBe("string");
  }, 180_000);

  it("left the service's own memory, the pool and the temp folder as they were", async () => {
    // The inflating happened in capped children: the service itself never held a bomb.
    expect(await servicePeakRssKb(server.process.pid!)).toBeLessThan(400 * 1024);
    const jpeg = await fs.readFile(await makeJpeg(dir));
    const after = await post("extract", "photo.jpg", jpeg);
    expect(after.status).toBe(200);
    expect((after.body["metadata"] as Record<string, Record<string, unknown>>)["exif"]?.["Make"]).toBe("Canon");
    expect(await tempFiles(server.dataDir)).toEqual([]);
  });
});
