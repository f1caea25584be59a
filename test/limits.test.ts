import fs from "node:fs/promises";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ MAX_FILE_MB: "1", RATE_LIMIT_PER_MINUTE: "5" });
});
afterAll(async () => server?.stop());

async function tempFiles(): Promise<string[]> {
  const entries = await fs.readdir(`${server.dataDir}/tmp`, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe("upload size limit", () => {
  it("answers 413 past MAX_FILE_MB and leaves no temp file", async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 1);
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "big.bin", data: big }, { headers: { "X-API-Key": server.apiKey } });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ success: false, error: "File too large (limit: 1 MB)" });
    expect(await tempFiles()).toEqual([]);
  });

  it("removes the temp file when the client hangs up mid-upload", async () => {
    const url = new URL(`${server.baseUrl}/api/v1/extract`);
    const boundary = "----exifapitest";
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "X-API-Key": server.apiKey, "Content-Type": `multipart/form-data; boundary=${boundary}` },
      });
      req.on("error", () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      req.write(Buffer.alloc(200_000, 7));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await tempFiles()).toEqual([]);
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After past RATE_LIMIT_PER_MINUTE for one key", async () => {
    const fresh = (await server.cli(["keys", "create", "--name", "limited"])).stdout.trim().split("\n").at(-1)!;
    const statuses: number[] = [];
    let last: Response | null = null;
    // Both POST endpoints draw on the key's one bucket.
    for (let i = 0; i < 7; i++) {
      last = await fetch(`${server.baseUrl}/api/v1/${i % 2 === 0 ? "extract" : "remove"}`, { method: "POST", headers: { "X-API-Key": fresh } });
      statuses.push(last.status);
    }
    // The requests are bad (no file) but they still count: 5 answered, then refused.
    expect(statuses.slice(0, 5).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await last!.json()).toEqual({ success: false, error: "Too many requests" });

    const created = await server.cli(["keys", "create", "--name", "second"]);
    const other = created.stdout.trim().split("\n").at(-1)!;
    const res = await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": other } });
    expect(res.status).toBe(400);
  });
});
