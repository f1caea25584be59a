// @ts-check
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { Pool } from "undici";
import { multipartStream } from "./multipart.mjs";
import { memorySampler, serviceMem } from "./proc-stats.mjs";
import { startService } from "./service.mjs";
import { bigJpeg, bigPng, bigTiff, bigWav, flacAudioStart, mp3AudioStart, repeatAudio } from "./big-makers.mjs";
import { run } from "./tools.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */

/**
 * @typedef {object} BigRun
 * @property {string} kind        "MP4 (looped)", "JPEG (long scan)", "PNG"...
 * @property {string} endpoint
 * @property {number} bytes
 * @property {number} seconds
 * @property {string} outcome     "200" or the error
 * @property {number} serviceRssPeak   sampled every 50 ms
 * @property {number} serviceHwm       the service's VmHWM after the request (fresh service each time)
 * @property {number} childrenRssPeak
 */

/**
 * @typedef {object} ConcurrentRun
 * @property {number} requests
 * @property {number} ok
 * @property {string | null} firstError
 * @property {number} bytes        of the PNG
 * @property {number} seconds
 * @property {number} servicePeak  sampled every 100 ms
 * @property {number} treePeak     service and children, sampled every 100 ms
 */

const MiB = 2 ** 20;
/** `BENCH_BIG_MB` scales the big files down, to try the code without the full run's minutes. */
const BIG = Number(process.env["BENCH_BIG_MB"] ?? 1024) * MiB;

/**
 * A file of about 1 GB of each type the byte-level cleaners stream, plus MP4 (the 100 MB clip
 * looped with `-c copy`, which ffmpeg remuxes): JPEG (a real photo's scan run long), PNG, TIFF
 * and WAV written by hand, MP3 and FLAC (the corpus files' frames repeated). Made in bench/tmp on
 * demand and deleted afterwards. Extraction is measured on the MP4 and the JPEG.
 * @param {{ mp4: CorpusFile, jpeg: CorpusFile, mp3: CorpusFile, flac: CorpusFile }} corpus @param {string} dir
 */
async function makeBigFiles(corpus, dir) {
  const at = (/** @type {string} */ name) => path.join(dir, name);
  const loops = Math.max(0, Math.ceil(BIG / corpus.mp4.size) - 1);
  await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-stream_loop", String(loops), "-i", corpus.mp4.path, "-c", "copy", "-y", at("big.mp4")]);
  await bigJpeg(at("big.jpg"), await fsp.readFile(corpus.jpeg.path), BIG);
  await bigPng(at("big.png"), BIG);
  await bigTiff(at("big.tif"), BIG);
  await bigWav(at("big.wav"), BIG);
  const mp3 = await fsp.readFile(corpus.mp3.path);
  // The corpus MP3 ends with an ID3v1 tag (128 bytes).
  await repeatAudio(at("big.mp3"), mp3, mp3AudioStart(mp3), mp3.toString("latin1", mp3.length - 128, mp3.length - 125) === "TAG" ? 128 : 0, BIG);
  const flac = await fsp.readFile(corpus.flac.path);
  await repeatAudio(at("big.flac"), flac, flacAudioStart(flac), 0, BIG);
  return [
    { kind: "MP4 (looped)", file: at("big.mp4"), name: "big.mp4", mime: "video/mp4", extract: true },
    { kind: "JPEG (long scan)", file: at("big.jpg"), name: "big.jpg", mime: "image/jpeg", extract: true },
    { kind: "PNG", file: at("big.png"), name: "big.png", mime: "image/png", extract: false },
    { kind: "TIFF", file: at("big.tif"), name: "big.tif", mime: "image/tiff", extract: false },
    { kind: "WAV", file: at("big.wav"), name: "big.wav", mime: "audio/wav", extract: false },
    { kind: "MP3 (frames repeated)", file: at("big.mp3"), name: "big.mp3", mime: "audio/mpeg", extract: false },
    { kind: "FLAC (frames repeated)", file: at("big.flac"), name: "big.flac", mime: "audio/flac", extract: false },
  ];
}

/**
 * 16 removals of a 100 MB PNG at once (each then downloaded), on a fresh service with its default
 * budgets: the memory of the service and its children together, sampled. (A smaller PNG when
 * BENCH_BIG_MB is under 100.)
 * @param {{ procs: number, tmpDir: string, log: (m: string) => void }} o
 * @returns {Promise<ConcurrentRun>}
 */
export async function concurrentPngRemovals(o) {
  const file = path.join(o.tmpDir, "concurrent.png");
  await bigPng(file, Math.min(100 * MiB, BIG));
  const bytes = (await fsp.stat(file)).size;
  const service = await startService({ dataDir: path.join(o.tmpDir, "data-concurrent"), procs: o.procs, env: { MAX_FILE_MB: "200" } });
  const requests = 16;
  const pool = new Pool(service.baseUrl, { connections: requests, bodyTimeout: 900_000, headersTimeout: 900_000 });
  const sampler = memorySampler(service.pid, 100);
  const t0 = performance.now();
  /** @type {string | null} */
  let firstError = null;
  let ok = 0;
  try {
    await Promise.all(
      Array.from({ length: requests }, async () => {
        try {
          const { body, contentType } = multipartStream(fs.createReadStream(file, { highWaterMark: MiB }), "concurrent.png", "image/png");
          const r = await pool.request({ path: "/api/v1/remove", method: "POST", headers: { "x-api-key": service.apiKey, "content-type": contentType }, body: Readable.from(body) });
          const text = await r.body.text();
          if (r.statusCode !== 200) throw new Error(`${r.statusCode} ${text.slice(0, 160)}`);
          const d = await pool.request({ path: new URL(JSON.parse(text).downloadUrl).pathname, method: "GET" });
          for await (const _ of d.body) void _;
          ok++;
        } catch (err) {
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }),
    );
  } finally {
    await pool.close();
    await service.stop();
    await fsp.rm(file, { force: true });
  }
  const peaks = sampler.stop();
  const run = { requests, ok, firstError, bytes, seconds: (performance.now() - t0) / 1000, servicePeak: peaks.selfPeak, treePeak: peaks.totalPeak };
  o.log(`16 concurrent ${(bytes / MiB).toFixed(0)} MB PNG removals: ${ok}/${requests} in ${run.seconds.toFixed(1)} s, tree RSS peak ${(run.treePeak / MiB).toFixed(0)} MB`);
  return run;
}

/**
 * Uploads each 1 GB file once to remove (then downloads the result), and the MP4 and JPEG once
 * to extract, each time to a fresh service so that its VmHWM is the peak of that one request.
 * @param {{ mp4: CorpusFile, jpeg: CorpusFile, mp3: CorpusFile, flac: CorpusFile, procs: number, tmpDir: string, log: (m: string) => void }} o
 * @returns {Promise<BigRun[]>}
 */
export async function bigUploads(o) {
  const files = await makeBigFiles(o, o.tmpDir);
  /** @type {BigRun[]} */
  const out = [];
  try {
    for (const f of files) {
      const bytes = (await fsp.stat(f.file)).size;
      for (const endpoint of f.extract ? ["extract", "remove"] : ["remove"]) {
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
        const serviceHwm = serviceMem(service.pid, "VmHWM");
        await pool.close();
        await service.stop();
        const r = { kind: f.kind, endpoint, bytes, seconds, outcome, serviceRssPeak: peaks.selfPeak, serviceHwm, childrenRssPeak: peaks.childrenPeak };
        o.log(`${(bytes / 2 ** 30).toFixed(2)} GB ${f.kind} ${endpoint}: ${outcome} in ${seconds.toFixed(1)} s, service RSS peak ${(serviceHwm / 2 ** 20).toFixed(0)} MB, children ${(peaks.childrenPeak / 2 ** 20).toFixed(0)} MB`);
        out.push(r);
      }
    }
  } finally {
    for (const f of files) await fsp.rm(f.file, { force: true });
  }
  return out;
}
