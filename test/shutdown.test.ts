import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-files.js";
import { type RunningServer, startServer } from "./helpers/server.js";

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
    const exited = new Promise<number | null>((resolve) => server.process.once("exit", (code) => resolve(code)));

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
