import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { BOUNDARY, FORM_HEAD, rawUpload } from "./helpers/raw-upload.js";
import { type RunningServer, startServer } from "./helpers/server.js";

const IDLE_SECONDS = 2;
const TOTAL_SECONDS = 6;
/** A busy 2-core machine's margin past the configured bound. */
const MARGIN_MS = 4000;

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ UPLOAD_IDLE_SECONDS: String(IDLE_SECONDS), UPLOAD_TIMEOUT_SECONDS: String(TOTAL_SECONDS), RATE_LIMIT_PER_MINUTE: "100000" });
});
afterAll(async () => server?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function expectServiceWell(): Promise<void> {
  const started = performance.now();
  expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  expect(performance.now() - started).toBeLessThan(1000);
  expect(await tempFiles(server.dataDir)).toEqual([]);
}

describe("an upload that is too slow", () => {
  it(`stops sending mid-file: a 400 about ${IDLE_SECONDS} s later, its temp file gone, the connection closed`, async () => {
    const upload = rawUpload(server, "/api/v1/extract", { "Content-Length": String(1024 * 1024) });
    upload.socket.write(FORM_HEAD);
    upload.socket.write(Buffer.alloc(100_000, 7));
    const started = performance.now();
    // The temp file exists while the upload is under way.
    await expect.poll(() => tempFiles(server.dataDir), { timeout: 5000 }).not.toEqual([]);
    const answer = await upload.answer;
    const ms = performance.now() - started;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ success: false, error: `Invalid request parameters: the upload stalled (no data for ${IDLE_SECONDS} seconds)` });
    expect(answer.closedByServer).toBe(true);
    expect(ms).toBeGreaterThan(IDLE_SECONDS * 1000 - 500);
    expect(ms).toBeLessThan(IDLE_SECONDS * 1000 + MARGIN_MS);
    await expectServiceWell();
  }, 60_000);

  it(`trickles a byte every half second: a 400 once ${TOTAL_SECONDS} s have passed, its temp file gone`, async () => {
    const upload = rawUpload(server, "/api/v1/remove", { "Transfer-Encoding": "chunked" });
    const started = performance.now();
    const chunk = (data: Buffer | string): boolean => upload.socket.write(`${Buffer.byteLength(data).toString(16)}\r\n${data.toString()}\r\n`);
    chunk(FORM_HEAD);
    let answered = false;
    const trickle = (async () => {
      while (!answered && !upload.socket.destroyed) {
        chunk("x");
        await sleep(500);
      }
    })();
    const answer = await upload.answer;
    answered = true;
    await trickle;
    const ms = performance.now() - started;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ success: false, error: `Invalid request parameters: the upload took longer than ${TOTAL_SECONDS} seconds` });
    expect(answer.closedByServer).toBe(true);
    expect(ms).toBeGreaterThan(TOTAL_SECONDS * 1000 - 500);
    expect(ms).toBeLessThan(TOTAL_SECONDS * 1000 + MARGIN_MS);
    await expectServiceWell();
  }, 60_000);

  it("an upload that pauses less than the idle bound and ends in time is read as usual", async () => {
    const file = Buffer.alloc(300_000, 9);
    const form = Buffer.concat([Buffer.from(FORM_HEAD), file, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
    const upload = rawUpload(server, "/api/v1/extract", { "Content-Length": String(form.length) });
    const step = 100_000;
    for (let at = 0; at < form.length; at += step) {
      upload.socket.write(form.subarray(at, at + step));
      await sleep(IDLE_SECONDS * 500);
    }
    const answer = await upload.answer;
    expect(answer.status).toBe(200);
    expect(answer.closedByServer).toBe(false);
  }, 60_000);
});
