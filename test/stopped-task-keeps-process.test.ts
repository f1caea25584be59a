import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taskProcessPids, tempFiles } from "./helpers/fuzz-proc.js";
import { docxWithDocument } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * A removal whose client hangs up mid-work stops its task, which ends at its next check (its next
 * chunk of XML, its next question to the service) and leaves its task process to the next task:
 * when each stop ended its worker, after 20 such hang-ups the next removal waited 0.6-1 s for new
 * workers to load their modules. With one task process (MAX_FILES_IN_WORK=1) a killed one shows as
 * a new task process of the service.
 */

const HANG_UPS = 10;
/** Each 150,000 paragraphs (11 MB of XML, 0.4 MB stored): ~5 s of work in the worker, hung up on after HANG_UP_MS. */
const PARAGRAPHS = 150_000;
const HANG_UP_MS = 800;

let dir: string;
let server: RunningServer;
let big: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-stopped-task-"));
  server = await startServer({ MAX_FILES_IN_WORK: "1" });
  const paragraphs = Array.from({ length: PARAGRAPHS }, (_, i) => `<w:p><w:r><w:t>Paragraph ${i} of a long document.</w:t></w:r></w:p>`).join("");
  big = path.join(dir, "long.docx");
  await fs.writeFile(big, await docxWithDocument(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs}</w:body></w:document>`));
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/**
 * The removal of `file`, its connection closed by the client `afterMs` after it was sent; the
 * service's task processes just before, while the task works, are added to `seen`.
 */
function removeAndHangUp(file: string, data: Buffer, afterMs: number, seen: Set<number>): Promise<void> {
  const url = new URL(`${server.baseUrl}/api/v1/remove`);
  const boundary = "----exifapistoppedtask";
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: { "X-API-Key": server.apiKey, "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": body.length },
    });
    req.on("response", () => reject(new Error(`the removal was answered within ${afterMs} ms: no work was stopped`)));
    req.on("error", () => undefined);
    req.end(body);
    setTimeout(() => {
      void taskProcesses().then((ids) => {
        for (const id of ids) seen.add(id);
        req.destroy();
        resolve();
      }, reject);
    }, afterMs);
  });
}

const taskProcesses = async (): Promise<Set<number>> => new Set(await taskProcessPids(server.process.pid!));

describe("a stopped task", () => {
  it(`ends at its next check and leaves its process to the next task: ${HANG_UPS} hang-ups mid-work start no new task process`, async () => {
    // Warm: the task process exists.
    const warm = await removeViaApi(server, big);
    expect(warm.status, JSON.stringify(warm.body)).toBe(200);
    const before = await taskProcesses();
    expect(before.size).toBe(1);

    const data = await fs.readFile(big);
    const seen = new Set<number>();
    for (let i = 0; i < HANG_UPS; i++) await removeAndHangUp(big, data, HANG_UP_MS, seen);

    const marked = path.join(dir, "marked.docx");
    await fs.writeFile(marked, await docxWithDocument(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Short</w:t></w:r></w:p></w:body></w:document>`));
    const after = await removeViaApi(server, marked);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    for (const id of await taskProcesses()) seen.add(id);
    const started = [...seen].filter((id) => !before.has(id));
    expect(started, "task processes started since the warm removal").toEqual([]);
    expect(await tempFiles(server.dataDir)).toEqual([]);
  }, 120_000);
});
