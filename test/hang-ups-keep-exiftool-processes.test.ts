import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exiftoolPids, tempFiles } from "./helpers/fuzz-proc.js";
import { makeJpeg, minimalTextPdf } from "./helpers/make-files.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let dir: string;
let server: RunningServer;
let jpeg: Buffer;
/** An XMP sidecar of 2,000 distinct properties: ExifTool reads it in ~0.1-0.5 s here. */
let xmp: Buffer;
/** A PDF encrypted with AES-256 (R6): ExifTool derives its keys in Perl for seconds (see faults.test.ts). */
let slowPdf: Buffer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hangups-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
  const fields = Array.from({ length: 2000 }, (_, i) => `<my:Field${i}>value ${i}</my:Field${i}>`).join("");
  xmp = Buffer.from(
    `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
      `<rdf:Description rdf:about="" xmlns:my="http://example.com/my/">${fields}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`,
  );
  const plain = path.join(dir, "plain.pdf");
  const locked = path.join(dir, "locked.pdf");
  await fs.writeFile(plain, minimalTextPdf("Locked"));
  await run("qpdf", ["--encrypt", "user-secret", "owner-secret", "256", "--", plain, locked]);
  slowPdf = await fs.readFile(locked);
  // One ExifTool process: every task of these tests goes through it.
  server = await startServer({ EXIFTOOL_PROCS: "1", RATE_LIMIT_PER_MINUTE: "100000" });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const extract = (name: string, data: Buffer, signal?: AbortSignal): Promise<Response> =>
  postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey }, ...(signal != null ? { signal } : {}) });

/** Every ExifTool process id seen while `work` runs (polled every 20 ms). */
async function pidsSeenDuring(work: () => Promise<void>): Promise<Set<number>> {
  const seen = new Set(await exiftoolPids(server.process.pid!));
  let done = false;
  const poll = (async () => {
    while (!done) {
      for (const pid of await exiftoolPids(server.process.pid!)) seen.add(pid);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await poll;
  }
  for (const pid of await exiftoolPids(server.process.pid!)) seen.add(pid);
  return seen;
}

async function expectServiceWell(): Promise<void> {
  const res = await extract("photo.jpg", jpeg);
  expect(res.status).toBe(200);
  const started = performance.now();
  expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  expect(performance.now() - started).toBeLessThan(1000);
  await expect.poll(() => tempFiles(server.dataDir), { timeout: 10_000 }).toEqual([]);
}

describe("clients hanging up during ExifTool's read", () => {
  it("mid-read of a file read in well under a second: the process is kept (no restart per hang-up)", async () => {
    expect((await extract("warm.xmp", xmp)).status).toBe(200);
    const seen = await pidsSeenDuring(async () => {
      for (let i = 0; i < 20; i++) {
        const hangUp = new AbortController();
        const pending = extract("fields.xmp", xmp, hangUp.signal).catch(() => null);
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 350));
        hangUp.abort();
        await pending;
      }
    });
    // Each hang-up ended the process before (up to 21 ids for 20 hang-ups); a read slowed past a second
    // by a busy machine may still cost one.
    expect(seen.size).toBeLessThanOrEqual(4);
    await expectServiceWell();
  }, 120_000);

  it("while queued behind another file's read: the process is kept, not ended as it takes the dropped task", async () => {
    const before = await exiftoolPids(server.process.pid!);
    expect(before.length).toBe(1);
    const seen = await pidsSeenDuring(async () => {
      const slow = extract("locked.pdf", slowPdf);
      // Its read has begun (it takes seconds of CPU).
      await new Promise((r) => setTimeout(r, 1000));
      const hangUps = Array.from({ length: 8 }, async () => {
        const hangUp = new AbortController();
        const pending = extract("photo.jpg", jpeg, hangUp.signal).catch(() => null);
        setTimeout(() => hangUp.abort(), 400);
        await pending;
      });
      await Promise.all(hangUps);
      expect((await slow).status).toBe(200);
    });
    expect([...seen]).toEqual(before);
    await expectServiceWell();
  }, 120_000);

  it("mid-read of a slow file: the process is still ended, about a second after the read began", async () => {
    const before = await exiftoolPids(server.process.pid!);
    const hangUp = new AbortController();
    const pending = extract("locked.pdf", slowPdf, hangUp.signal).catch(() => null);
    // Its read has begun (it takes seconds of CPU).
    await new Promise((r) => setTimeout(r, 1200));
    hangUp.abort();
    await pending;
    // The read takes seconds; the process goes within the second it may run plus a busy machine's margin.
    await expect.poll(async () => (await exiftoolPids(server.process.pid!)).some((pid) => before.includes(pid)), { timeout: 4000, interval: 50 }).toBe(false);
    await expectServiceWell();
  }, 120_000);
});
