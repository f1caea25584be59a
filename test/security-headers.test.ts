import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-files.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;
let jpeg: Buffer;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-headers-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

function expectHardened(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-request-id")).toMatch(/.{8,}/);
}

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10" fill="red"/></svg>`;

describe("security headers", () => {
  it("are on every kind of response: success, errors, stored results, health, preflight", async () => {
    const key = { "X-API-Key": server.apiKey };
    const extracted = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "a.jpg", data: jpeg }, { headers: key });
    const uuid = ((await extracted.clone().json()) as { uuid: string }).uuid;
    const responses = [
      extracted,
      await fetch(`${server.baseUrl}/api/v1/extract/${uuid}`),
      await fetch(`${server.baseUrl}/api/v1/extract/not-a-uuid`),
      await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST" }),
      await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { ...key, "Content-Type": "application/json" }, body: "{" }),
      await fetch(`${server.baseUrl}/download-cleaned/00000000-0000-4000-8000-000000000000`),
      await fetch(`${server.baseUrl}/healthz`),
      await fetch(`${server.baseUrl}/no/such/route`),
      await fetch(`${server.baseUrl}/api/v1/remove`, { method: "OPTIONS", headers: { Origin: "https://example.com", "Access-Control-Request-Method": "POST" } }),
    ];
    for (const res of responses) {
      expectHardened(res);
      await res.arrayBuffer();
    }
  });

  it("make a cleaned SVG download an attachment that cannot run as a page on our origin", async () => {
    const removed = await postFile(`${server.baseUrl}/api/v1/remove`, { name: "evil.svg", data: Buffer.from(SVG), type: "image/svg+xml" }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await removed.json()) as Record<string, unknown>;
    expect(removed.status).toBe(200);
    const dl = await fetch(String(body["downloadUrl"]));
    expect(dl.status).toBe(200);
    expectHardened(dl);
    expect(dl.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(dl.headers.get("content-security-policy")).toMatch(/sandbox/);
    expect(dl.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(dl.headers.get("cache-control")).toMatch(/no-store/);
    await dl.arrayBuffer();
  });
});

describe("request bodies other than uploads", () => {
  const post = (contentType: string, body: string): Promise<Response> =>
    fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": server.apiKey, "Content-Type": contentType }, body });

  it("refuse a JSON body over 64 kB with a 400", async () => {
    const res = await post("application/json", JSON.stringify({ url: "https://example.com/a.jpg", pad: "x".repeat(70 * 1024) }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/too large/);
  });

  it("refuse a form-urlencoded body over 64 kB with a 400", async () => {
    const res = await post("application/x-www-form-urlencoded", `url=${"x".repeat(70 * 1024)}`);
    expect(res.status).toBe(400);
  });

  it("accept a JSON body just under the limit (the limit is where it says)", async () => {
    const res = await post("application/json", JSON.stringify({ url: "ftp://example.com/a.jpg", pad: "x".repeat(60 * 1024) }));
    expect(res.status).toBe(400);
    // Refused for the URL scheme, not the size: the body was read.
    expect(((await res.json()) as { error: string }).error).not.toMatch(/too large/);
  });

  it("refuse an oversized multipart text field and too many fields, never with a 5xx", async () => {
    const big = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "a.jpg", data: jpeg }, { headers: { "X-API-Key": server.apiKey }, fields: { numeric: "x".repeat(100 * 1024) } });
    expect([400, 413]).toContain(big.status);
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_v, i) => [`f${i}`, "1"]));
    const many = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "a.jpg", data: jpeg }, { headers: { "X-API-Key": server.apiKey }, fields });
    expect(many.status).toBe(400);
  });
});
