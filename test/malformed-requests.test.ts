import fs from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { makeJpeg } from "./helpers/make-files.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;
let jpeg: Buffer;

beforeAll(async () => {
  server = await startServer({ ALLOW_PRIVATE_URLS: "true" });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-malformed-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** Log lines (JSON) at error level or above: a client's mistake must never be one. */
const errorLines = (): string[] => server.logs.filter((l) => l.startsWith("{") && (JSON.parse(l) as { level: number }).level >= 50);

describe("the API key never reaches the log, whatever the spelling of its parameter", () => {
  it.each(["key", "%6bey", "k%65y", "%6B%65%79"])("?%s=KEY authenticates and is redacted", async (name) => {
    const marker = `exk_never_logged_${name.replace(/%/g, "")}`;
    const res = await fetch(`${server.baseUrl}/api/v1/extract/00000000-0000-4000-8000-000000000000?${name}=${marker}`);
    expect(res.status).toBe(401);
    const valid = await fetch(`${server.baseUrl}/api/v1/extract/00000000-0000-4000-8000-000000000000?${name}=${server.apiKey}`);
    expect(valid.status).toBe(404);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.logs.join("\n")).not.toContain(marker);
    expect(server.logs.join("\n")).not.toContain(server.apiKey);
  });
});

describe("a malformed multipart form is a 400", () => {
  const post = (contentType: string) =>
    fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": server.apiKey, "Content-Type": contentType }, body: "--x\r\n\r\n" });

  it.each([
    ["without a boundary", "multipart/form-data"],
    ["with an empty boundary", "multipart/form-data; boundary="],
    ["with a boundary over 256 characters", `multipart/form-data; boundary=${"b".repeat(300)}`],
  ])("%s", async (_label, contentType) => {
    const res = await post(contentType);
    expect(errorLines()).toEqual([]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^Invalid request parameters: /);
    expect(errorLines()).toEqual([]);
  });
});

/** A TCP server answering every connection with `answer`, then closing it. */
async function rawOrigin(answer: string): Promise<{ url: string; close(): Promise<void> }> {
  const srv = net.createServer((socket) => {
    socket.once("data", () => socket.end(answer));
    socket.on("error", () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/photo.jpg`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

describe("a server answering malformed HTTP is a 400 Could not fetch the URL", () => {
  it.each([
    ["a Content-Length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nxyz"],
    ["a negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nxyz"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxyz\r\n0\r\n\r\n"],
    ["status 2000", "HTTP/1.1 2000 Odd\r\nContent-Length: 3\r\n\r\nxyz"],
    ["a NUL in a header", "HTTP/1.1 200 OK\r\nX-Odd: a\u0000b\r\nContent-Length: 3\r\n\r\nxyz"],
    ["no status line", "Content-Length: 3\r\n\r\nxyz"],
    ["a folded header", "HTTP/1.1 200 OK\r\nX-Odd: a\r\n b\r\nContent-Length: 3\r\n\r\nxyz"],
  ])("%s", async (_label, answer) => {
    const origin = await rawOrigin(answer);
    try {
      const res = await fetch(`${server.baseUrl}/api/v1/extract`, {
        method: "POST",
        headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
        body: JSON.stringify({ url: origin.url }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^Could not fetch the URL: /);
      expect(errorLines()).toEqual([]);
    } finally {
      await origin.close();
    }
  });
});

describe("a client hanging up mid-upload", () => {
  it("is logged at info, and its partial upload goes", async () => {
    const boundary = "----exifapi-cut";
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    await new Promise<void>((resolve) => {
      const req = http.request(`${server.baseUrl}/api/v1/remove`, {
        method: "POST",
        headers: { "X-API-Key": server.apiKey, "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": head.length + jpeg.length * 4 },
      });
      req.on("error", () => resolve());
      req.write(head);
      req.write(jpeg, () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 300));
    });
    await expect.poll(() => server.logs.some((l) => l.includes('"level":30') && /ended before the form was complete|client closed/.test(l)), { timeout: 5000 }).toBe(true);
    expect(errorLines()).toEqual([]);
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).toEqual([]);
  });
});
