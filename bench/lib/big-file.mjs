// @ts-check
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { Pool } from "undici";
import { multipartStream } from "./multipart.mjs";
import { memorySampler, readMem } from "./proc-stats.mjs";
import { startService } from "./service.mjs";
import { run } from "./tools.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */

/**
 * @typedef {object} BigRun
 * @property {string} kind        "MP4 (looped)" | "JPEG (padded trailer)"
 * @property {string} endpoint
 * @property {number} bytes
 * @property {number} seconds
 * @property {string} outcome     "200" or the error
 * @property {number} serviceRssPeak   sampled every 50 ms
 * @property {number} serviceHwm       the service's VmHWM after the request (fresh service each time)
 * @property {number} childrenRssPeak
 */

const GB = 1024 ** 3;

/**
 * A 1 GB MP4 (the 100 MB clip looped with `-c copy`, a real file every reader must walk) and a
 * 1 GB JPEG (the 1 MP photo with a GB of trailer after its end marker, which every JPEG
 * reader must at least skip). Made in bench/tmp on demand and deleted afterwards.
 * @param {CorpusFile} mp4 @param {CorpusFile} jpeg @param {string} dir
 */
async function makeBigFiles(mp4, jpeg, dir) {
  const bigMp4 = path.join(dir, "big.mp4");
  const loops = Math.ceil(GB / mp4.size) - 1;
  await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-stream_loop", String(loops), "-i", mp4.path, "-c", "copy", "-y", bigMp4]);
  const bigJpg = path.join(dir, "big.jpg");
  const out = fs.createWriteStream(bigJpg);
  out.write(await fsp.readFile(jpeg.path));
  const block = Buffer.alloc(8 * 1024 * 1024, 0x5a);
  for (let written = jpeg.size; written < GB; written += block.length) {
    if (!out.write(block)) await new Promise((r) => out.once("drain", () => r(undefined)));
  }
  await new Promise((resolve, reject) => out.end((/** @type {Error | undefined} */ e) => (e == null ? resolve(undefined) : reject(e))));
  return [
    { kind: "MP4 (looped)", file: bigMp4, name: "big.mp4", mime: "video/mp4" },
    { kind: "JPEG (padded trailer)", file: bigJpg, name: "big.jpg", mime: "image/jpeg" },
  ];
}

/**
 * Uploads each 1 GB file once to extract and once to remove (then downloads the result), each
 * time to a fresh service so that its VmHWM is the peak of that one request.
 * @param {{ mp4: CorpusFile, jpeg: CorpusFile, procs: number, tmpDir: string, log: (m: string) => void }} o
 * @returns {Promise<BigRun[]>}
 */
export async function bigUploads(o) {
  const files = await makeBigFiles(o.mp4, o.jpeg, o.tmpDir);
  /** @type {BigRun[]} */
  const out = [];
  try {
    for (const f of files) {
      const bytes = (await fsp.stat(f.file)).size;
      for (const endpoint of ["extract", "remove"]) {
        // Task timeout 300 s: more makes the service refuse to start (exiftool-vendored wants its
        // maxProcAgeMillis, 5 min by default, >= the task timeout).
        const service = await startService({ dataDir: path.join(o.tmpDir, "data-big"), procs: o.procs, env: { MAX_FILE_MB: "1200", EXIFTOOL_TASK_TIMEOUT_SECONDS: "300" } });
        const pool = new Pool(service.baseUrl, { connections: 1, bodyTimeout: 900_000, headersTimeout: 900_000 });
        const sampler = memorySampler(service.pid, 50);
        const t0 = performance.now();
        let outcome = "200";
        try {
          const { body, contentType } = multipartStream(fs.createReadStream(f.file, { highWaterMark: 1024 * 1024 }), f.name, f.mime);
          const r = await pool.request({ path: `/api/v1/${endpoint}`, method: "POST", headers: { "x-api-key": service.apiKey, "content-type": contentType }, body: Readable.from(body) });
          const text = await r.body.text();
          if (r.statusCode !== 200) outcome = `${r.statusCode} ${text.slice(0, 160)}`;
          else if (endpoint === "remove") {
            const d = await pool.request({ path: new URL(JSON.parse(text).downloadUrl).pathname, method: "GET" });
            for await (const _ of d.body) void _;
          }
        } catch (err) {
          outcome = err instanceof Error ? err.message : String(err);
        }
        const seconds = (performance.now() - t0) / 1000;
        const peaks = sampler.stop();
        const serviceHwm = readMem(service.pid, "VmHWM");
        await pool.close();
        await service.stop();
        const r = { kind: f.kind, endpoint, bytes, seconds, outcome, serviceRssPeak: peaks.selfPeak, serviceHwm, childrenRssPeak: peaks.childrenPeak };
        o.log(`1 GB ${f.kind} ${endpoint}: ${outcome} in ${seconds.toFixed(1)} s, service RSS peak ${(serviceHwm / 2 ** 20).toFixed(0)} MB, children ${(peaks.childrenPeak / 2 ** 20).toFixed(0)} MB`);
        out.push(r);
      }
    }
  } finally {
    for (const f of files) await fsp.rm(f.file, { force: true });
  }
  return out;
}
