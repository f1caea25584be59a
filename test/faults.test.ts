import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendantPids, exiftoolPids, tempFiles } from "./helpers/fuzz-proc.js";
import { makeJpeg, minimalTextPdf } from "./helpers/make-files.js";
import { DISTRIBUTED, postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let dir: string;
let jpeg: Buffer;
let slow: Buffer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-faults-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
  // Keeps an ExifTool process busy for seconds, passing every screen: an extraction reads a PDF
  // encrypted with AES-256 (R6), whose keys for the empty password ExifTool derives in Perl (4.5-7 s
  // of CPU). A zTXt bomb did it before the PNG screen took to inflating every compressed chunk.
  const plain = path.join(dir, "plain.pdf");
  const locked = path.join(dir, "locked.pdf");
  await fs.writeFile(plain, minimalTextPdf("Locked"));
  await run("qpdf", ["--encrypt", "user-secret", "owner-secret", "256", "--", plain, locked]);
  slow = await fs.readFile(locked);
});

afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** A process that still runs (a zombie waiting for init to reap it has stopped running). */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function extractJpeg(server: RunningServer): Promise<Record<string, unknown>> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "photo.jpg", data: jpeg }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect((body["metadata"] as Record<string, Record<string, unknown>>)["exif"]?.["Make"]).toBe("Canon");
  return body;
}

describe("an ExifTool process killed in the middle of a request", () => {
  it("fails that request with the contract's answer or retries it, and the pool heals", async () => {
    const server = await startServer({ EXIFTOOL_PROCS: "1" });
    try {
      const before = await exiftoolPids(server.process.pid!);
      expect(before.length).toBe(1);
      const pending = postFile(`${server.baseUrl}/api/v1/extract`, { name: "locked.pdf", data: slow }, { headers: { "X-API-Key": server.apiKey } });
      await new Promise((r) => setTimeout(r, 700));
      for (const pid of before) process.kill(pid, "SIGKILL");
      const res = await pending;
      // Extract answers 200 with a warning when ExifTool fails; a 500 is the contract's other answer.
      expect([200, 500]).toContain(res.status);
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status === 500) expect(body["error"]).toBe("An error occurred while processing your request");
      for (let i = 0; i < 3; i++) await extractJpeg(server);
      const after = await exiftoolPids(server.process.pid!);
      expect(after.length).toBe(1);
      expect(after).not.toEqual(before);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe("the service killed with SIGKILL during uploads and cleanings", () => {
  it("restarts with a consistent database, earlier results and downloads intact, and no temp file left", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-crash-"));
    try {
      const first = await startServer({ RATE_LIMIT_PER_MINUTE: "100000" }, { dataDir });
      const extracted = await extractJpeg(first);
      const removed = (await (
        await postFile(`${first.baseUrl}/api/v1/remove`, { name: "photo.jpg", data: jpeg }, { headers: { "X-API-Key": first.apiKey } })
      ).json()) as Record<string, unknown>;
      const cleaned = Buffer.from(await (await fetch(String(removed["downloadUrl"]))).arrayBuffer());

      // Work in flight: removes and extracts, some still uploading, when the process dies.
      const inFlight = Array.from({ length: 8 }, (_v, i) =>
        postFile(`${first.baseUrl}/api/v1/${i % 2 === 0 ? "remove" : "extract"}`, { name: `b${i}.jpg`, data: jpeg }, { headers: { "X-API-Key": first.apiKey } }).catch(
          (err: unknown) => err,
        ),
      );
      await new Promise((r) => setTimeout(r, 150));
      const pool = await exiftoolPids(first.process.pid!);
      expect(pool.length).toBeGreaterThan(0);
      // The whole tree: the ExifTool pool, the helper-program spawner and whatever it runs.
      const tree = await descendantPids(first.process.pid!);
      first.process.kill("SIGKILL");
      await Promise.all(inFlight);
      // The process may already be gone, its 'exit' event past, while the requests settled.
      if (first.process.exitCode == null && first.process.signalCode == null) await new Promise((r) => first.process.once("exit", r));
      // Its ExifTool processes die with it instead of polling their closed stdin forever, and so
      // do the spawner and its programs.
      for (let i = 0; i < 50 && tree.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
      expect(pool.filter(isAlive)).toEqual([]);
      expect(tree.filter(isAlive)).toEqual([]);

      const second = await startServer({}, { dataDir });
      try {
        expect((await fetch(`${second.baseUrl}/readyz`)).status).toBe(200);
        const again = await fetch(`${second.baseUrl}/api/v1/extract/${String(extracted["uuid"])}`);
        expect(again.status).toBe(200);
        expect(((await again.json()) as Record<string, unknown>)["metadata"]).toEqual(extracted["metadata"]);
        const dl = await fetch(String(removed["downloadUrl"]).replace(first.baseUrl, second.baseUrl));
        expect(dl.status).toBe(200);
        expect(Buffer.from(await dl.arrayBuffer())).toEqual(cleaned);
        // The crashed process's temp folder was swept at start; no half-written blob stays.
        expect(await tempFiles(dataDir)).toEqual([]);
        // The folder store's half-written blobs; S3 shows no object before its upload completes.
        if (!DISTRIBUTED) expect((await fs.readdir(path.join(dataDir, "files"))).filter((f) => f.endsWith(".partial"))).toEqual([]);
        // The key from before still works: the database is whole.
        await extractJpeg({ ...second, apiKey: first.apiKey });
      } finally {
        await second.stop();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
