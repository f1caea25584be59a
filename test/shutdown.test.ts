import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBigWav } from "./helpers/make-big-files.js";
import { makeJpeg } from "./helpers/make-files.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let jpeg: Buffer;

beforeAll(async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-shutdown-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
  await fs.rm(dir, { recursive: true });
  server = await startServer();
});
afterAll(async () => server?.stop());

describe("SIGTERM", () => {
  it("lets an upload in flight finish, then exits cleanly", async () => {
    const url = new URL(`${server.baseUrl}/api/v1/extract`);
    const boundary = "----exifapishutdown";
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="late.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    // "close", not "exit": the last log lines can still be in the pipe when the process has exited.
    const exited = new Promise<number | null>((resolve) => server.process.once("close", (code) => resolve(code)));

    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: {
            "X-API-Key": server.apiKey,
            "Content-Type": `multipart/form-data; boundary=${boundary}`,
            "Content-Length": head.length + jpeg.length + tail.length,
          },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString("utf8")));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.write(head);
      req.write(jpeg.subarray(0, 100));
      // The request is in flight when the signal comes; its body arrives afterwards.
      setTimeout(() => {
        server.process.kill("SIGTERM");
        setTimeout(() => req.end(Buffer.concat([jpeg.subarray(100), tail])), 300);
      }, 300);
    });

    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ success: true, fileName: "late.jpg", metadata: { exif: { Make: "Canon" } } });
    expect(await exited).toBe(0);
    expect(server.logs.some((l) => l.includes('"stopped"'))).toBe(true);
  });
});

describe("SIGTERM during a download", () => {
  it("lets the download finish, then exits cleanly although the client keeps its connection open", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-shutdown-"));
    const file = path.join(dir, "long.wav");
    await makeBigWav(file, "SHUTDOWNMARKER", 16);
    const own = await startServer();
    try {
      const res = await postFile(`${own.baseUrl}/api/v1/remove`, { name: "long.wav", data: await fs.readFile(file) }, { headers: { "X-API-Key": own.apiKey } });
      const { downloadUrl } = (await res.json()) as { downloadUrl: string };
      const exited = new Promise<{ code: number | null; at: number }>((resolve) => own.process.once("close", (code) => resolve({ code, at: Date.now() })));
      // A keep-alive client that holds its socket after the answer, as browsers and undici do.
      const agent = new http.Agent({ keepAlive: true });
      const body = new Promise<number>((resolve, reject) => {
        http.get(downloadUrl, { agent }, (download) => {
          download.pause();
          // The answer is being sent when the signal comes; the client reads it afterwards.
          own.process.kill("SIGTERM");
          setTimeout(() => {
            let bytes = 0;
            download.on("data", (c: Buffer) => (bytes += c.length));
            download.on("end", () => resolve(bytes));
            download.resume();
          }, 300);
        }).on("error", reject);
      });
      const received = await body;
      const doneAt = Date.now();
      expect(received).toBeGreaterThan(16 * 1024 * 1024);
      const { code, at } = await exited;
      agent.destroy();
      expect(code).toBe(0);
      // Not the 30 s of the forced exit: the idle connection is closed once its answer is sent.
      expect(at - doneAt).toBeLessThan(5000);
      expect(own.logs.some((l) => l.includes('"stopped"'))).toBe(true);
    } finally {
      await own.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("SIGTERM with a request that never finishes", () => {
  it("cuts it off after the grace period, removes its temp files and exits cleanly", async () => {
    const own = await startServer({ SHUTDOWN_GRACE_SECONDS: "2" });
    try {
      const url = new URL(`${own.baseUrl}/api/v1/extract`);
      const boundary = "----exifapistall";
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
      const exited = new Promise<{ code: number | null; at: number }>((resolve) => own.process.once("close", (code) => resolve({ code, at: Date.now() })));
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "X-API-Key": own.apiKey, "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": head.length + jpeg.length + 100 },
      });
      const cut = new Promise<void>((resolve) => {
        req.on("error", () => resolve());
        req.on("close", () => resolve());
      });
      // Part of the file, then nothing more: the upload stalls with its temp file open.
      req.write(Buffer.concat([head, jpeg.subarray(0, 2000)]));
      const tmp = path.join(own.dataDir, "tmp");
      const tempFiles = async (): Promise<string[]> => {
        const found: string[] = [];
        for (const dir of await fs.readdir(tmp)) found.push(...(await fs.readdir(path.join(tmp, dir))));
        return found;
      };
      await expect.poll(tempFiles, { timeout: 5000 }).toHaveLength(1);

      const signalledAt = Date.now();
      own.process.kill("SIGTERM");
      const { code, at } = await exited;
      await cut;
      expect(code).toBe(0);
      // The 2 s grace, not the 30 s default and not forever.
      expect(at - signalledAt).toBeGreaterThanOrEqual(1900);
      expect(at - signalledAt).toBeLessThan(12_000);
      expect(await fs.readdir(tmp)).toEqual([]);
      expect(own.logs.some((l) => l.includes("grace period over"))).toBe(true);
      expect(own.logs.some((l) => l.includes('"stopped"'))).toBe(true);
    } finally {
      await own.stop();
    }
  });
});
