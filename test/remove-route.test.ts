import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePng } from "./helpers/make-files.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";

type Json = Record<string, any>;

let png: Buffer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-"));
  png = await fs.readFile(await makePng(dir));
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

async function storedFiles(server: RunningServer): Promise<string[]> {
  return server.storedBlobs();
}

describe("POST /api/v1/remove and GET /download-cleaned/{uuid}", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ PUBLIC_BASE_URL: "https://files.example.test/" });
  });
  afterAll(async () => server?.stop());

  const remove = (name: string, data: Buffer, fields: Record<string, string> = {}) =>
    postFile(`${server.baseUrl}/api/v1/remove`, { name, data }, { headers: { "X-API-Key": server.apiKey }, fields });

  it("answers with the contract's body and serves the cleaned bytes as an attachment", async () => {
    const before = Date.now();
    const res = await remove("Ünïcode name's.png", png);
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ success: true, status: "completed", fileName: "Ünïcode name's.png", remaining: {} });
    expect(body.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.downloadUrl).toBe(`https://files.example.test/download-cleaned/${body.uuid}`);
    const expires = Date.parse(body.expiresAt);
    expect(body.expiresAt).toMatch(/Z$/);
    expect(expires - before).toBeGreaterThan(23.9 * 3600_000);
    expect(expires - before).toBeLessThan(24.1 * 3600_000);
    expect(body.removed.png).toBeGreaterThanOrEqual(3);

    const download = await fetch(`${server.baseUrl}/download-cleaned/${body.uuid}`);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(Number(download.headers.get("content-length"))).toBe(bytes.length);
    const disposition = download.headers.get("content-disposition")!;
    expect(disposition).toMatch(/^attachment; filename="[^"\r\n\\]*"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1]!)).toBe("Ünïcode name's.png");
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(download.headers.get("content-security-policy")).toContain("sandbox");
    expect(bytes.includes(Buffer.from("Jane Roe"))).toBe(false);
    expect(bytes.subarray(0, 8)).toEqual(png.subarray(0, 8));
  });

  it("answers 404 for an unknown or malformed download id", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      const res = await fetch(`${server.baseUrl}/download-cleaned/${id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ success: false, error: "File not found or expired." });
    }
  });

  it("answers 422 for a type it cannot clean, and stores nothing", async () => {
    const before = await storedFiles(server);
    const res = await remove("notes.xml", Buffer.from(`<?xml version='1.0'?><notes>${"just some words\n".repeat(20)}</notes>`));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ success: false, error: "Metadata removal is not supported for this file type (XML)" });
    const noise = await remove("noise.bin", Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256)));
    expect(noise.status).toBe(422);
    expect(((await noise.json()) as Json).error).toMatch(/^Metadata removal is not supported for this file type/);
    expect(await storedFiles(server)).toEqual(before);
  });

  it("refuses an unknown keep option", async () => {
    const res = await remove("a.png", png, { keep: "orientation,gps" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Invalid request parameters: keep accepts orientation, colorProfile/);
  });
});

describe("expiry", () => {
  let server: RunningServer;
  beforeAll(async () => {
    // 0.0005 h = 1.8 s
    server = await startServer({ DOWNLOAD_TTL_HOURS: "0.0005", SWEEP_INTERVAL_SECONDS: "1" });
  });
  afterAll(async () => server?.stop());

  it("stops serving an expired download and deletes its bytes from storage", async () => {
    const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name: "a.png", data: png }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as Json;
    expect(res.status).toBe(200);
    expect(await storedFiles(server)).toEqual([body.uuid]);
    expect((await fetch(body.downloadUrl)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 4000));
    const late = await fetch(body.downloadUrl);
    expect(late.status).toBe(404);
    expect(await late.json()).toEqual({ success: false, error: "File not found or expired." });
    expect(await storedFiles(server)).toEqual([]);
  });
});
