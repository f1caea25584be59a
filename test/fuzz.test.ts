import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCorpus, type Seed } from "./helpers/fuzz-corpus.js";
import { MUTATIONS, type Mutation, mutate, prng } from "./helpers/fuzz-mutate.js";
import { exiftoolPids, tempFiles } from "./helpers/fuzz-proc.js";
import { findMarker } from "./helpers/marker-scan.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/**
 * Mutated files of every supported type, sent to both endpoints through the real service.
 * `FUZZ_SECONDS` sets the budget (`make fuzz` runs longer), `FUZZ_SEED` replays a run; every
 * failing input is also saved under the OS temp folder, named in the failure message.
 */
const SECONDS = Number(process.env["FUZZ_SECONDS"] ?? 45);
const SEED = Number(process.env["FUZZ_SEED"] ?? crypto.randomInt(2 ** 31));
const CLIENTS = 2;
/** The service's ExifTool task timeout for this run: a hang must end well within the test. */
const TASK_TIMEOUT_S = 15;

let server: RunningServer;
let dir: string;
let corpus: Seed[];
const marker = `MRKfz${crypto.randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_SECONDS=${SECONDS}`);
  server = await startServer({ RATE_LIMIT_PER_MINUTE: "1000000", EXIFTOOL_TASK_TIMEOUT_SECONDS: String(TASK_TIMEOUT_S) });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-fuzz-"));
  corpus = await makeCorpus(dir, marker);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

interface Finding {
  what: string;
  saved: string;
}

/** One mutated file through one endpoint; returns what went wrong, if anything. */
async function attempt(seed: Seed, bytes: Buffer, endpoint: "extract" | "remove", kind: Mutation): Promise<string | null> {
  const started = Date.now();
  const res = await postFile(`${server.baseUrl}/api/v1/${endpoint}`, { name: seed.name, data: bytes }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as Record<string, unknown>;
  const ms = Date.now() - started;
  // Two tries of the task timeout (the pool retries once), plus the cleaner's own tool runs.
  if (ms > TASK_TIMEOUT_S * 4 * 1000) return `${endpoint} took ${ms} ms`;
  if (res.status >= 500) return `${endpoint} answered ${res.status}: ${JSON.stringify(body)}`;
  if (![200, 422].includes(res.status)) return `${endpoint} answered ${res.status}: ${JSON.stringify(body)}`;
  if (endpoint === "extract" && res.status !== 200) return `extract answered ${res.status}, a file it cannot parse is still a 200`;
  // A splice can copy the marker's bytes into picture or sound data, which a cleaner must keep:
  // the marker check only holds for mutations that leave every byte where it was.
  // Some formats' mutations turn metadata into what the file shows or keeps as content (see
  // Seed.answersOnly): their markers are checked by their own tests.
  if (endpoint === "remove" && res.status === 200 && kind !== "splice" && seed.answersOnly !== true) {
    const dl = await fetch(String(body["downloadUrl"]));
    if (dl.status !== 200) return `download answered ${dl.status}`;
    const cleaned = Buffer.from(await dl.arrayBuffer());
    // A range is read from the copy's own lengths, which a mutation can make run past its end.
    for (const { start, end } of seed.content?.(cleaned) ?? []) cleaned.fill(0, Math.min(start, cleaned.length), Math.min(end, cleaned.length));
    const hits = await findMarker(cleaned, marker);
    if (hits.length > 0) return `remove handed back a file still holding the marker: ${hits.join("; ")}`;
  }
  return null;
}

describe("fuzzing both endpoints with mutated files", () => {
  it(`never answers 5xx, hangs, leaks the marker or kills the service (seed ${SEED})`, async () => {
    const rnd = prng(SEED);
    const deadline = Date.now() + SECONDS * 1000;
    const findings: Finding[] = [];
    const counts = new Map<string, number>();
    let iteration = 0;

    const client = async (): Promise<void> => {
      while (Date.now() < deadline && findings.length < 5) {
        const i = iteration++;
        const seed = corpus[Math.floor(rnd() * corpus.length)]!;
        const kind = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)]!;
        const endpoint = rnd() < 0.5 ? "extract" : "remove";
        const bytes = mutate(seed.bytes, kind, rnd);
        const problem = await attempt(seed, bytes, endpoint, kind);
        counts.set(`${endpoint} ${seed.name}`, (counts.get(`${endpoint} ${seed.name}`) ?? 0) + 1);
        if (problem == null) continue;
        const saved = path.join(os.tmpdir(), `exifapi-fuzz-${SEED}-${i}-${kind}-${seed.name}`);
        await fs.writeFile(saved, bytes);
        findings.push({ what: `#${i} ${kind} of ${seed.name}: ${problem}`, saved });
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));

    console.log(`fuzz: ${iteration} files sent (seed ${SEED}); per endpoint and type: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(findings.map((f) => `${f.what} (input saved as ${f.saved}; replay with FUZZ_SEED=${SEED})`)).toEqual([]);
    expect(iteration).toBeGreaterThan(corpus.length);

    // The service and its pool lived through it, and nothing was left behind.
    expect(server.process.exitCode).toBeNull();
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    expect((await exiftoolPids(server.process.pid!)).length).toBeGreaterThan(0);
    expect(await tempFiles(server.dataDir)).toEqual([]);
  }, (SECONDS + TASK_TIMEOUT_S * 4 + 60) * 1000);
});
