import fs from "node:fs";
import v8 from "node:v8";
import { pino } from "pino";
import { settleAllocator } from "./allocator.js";
import { buildApp } from "./app.js";
import type { Config } from "./config.js";
import { loggerOptions } from "./logger.js";
import { createServices } from "./services.js";
import { startSweeper } from "./sweeper.js";

/** Starts the service: services, first key, HTTP listener, sweeper, and a graceful shutdown. */
export async function serve(config: Config): Promise<void> {
  const allocator = settleAllocator();
  // After a full collection, each isolate's next one comes when its heap has grown fourfold (V8's
  // own upper factor). V8's factor follows its speed estimates, and after a burst of large uploads
  // it settled near 1.1 for the main thread's ~32 MB heap: the upload and download buffers, which
  // count as external memory against that limit, then brought a full collection with every 10 MB
  // file; a factor of 2 still did so with every 100 MB one (bench notes, "mp4cpu"). The factor is
  // read at each collection, so setting it here takes effect.
  v8.setFlagsFromString("--heap-growing-percent=300");
  // Asynchronous writes: a synchronous write to stdout per log line cost a tenth of the Node
  // CPU of a small extraction. Lines still buffered are flushed before the process exits.
  const log = pino(loggerOptions(config.LOG_LEVEL), pino.destination({ dest: 1, sync: false }));
  const exit = (code: number): void => log.flush(() => process.exit(code));
  const services = await createServices(config, log);
  if ((await services.keys.count()) === 0) {
    const { key } = await services.keys.create("first key");
    // Straight to the console, never through the logger: keys stay out of log files.
    process.stderr.write(`\nNo API key existed, so one was created. It is shown only this once:\n\n  ${key}\n\n`);
  }
  const app = await buildApp(services, log);
  const sweeper = startSweeper({
    cleanedFiles: services.cleanedFiles,
    blobs: services.blobs,
    extractions: services.extractions,
    resultTtlMs: config.resultTtlMs,
    log,
    intervalMs: config.SWEEP_INTERVAL_SECONDS * 1000,
  });

  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    const graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000;
    // Past the grace period, requests still in flight (a client that stalls its upload, a file
    // near its deadline) are cut off as if their clients had hung up: each one's work stops and
    // its temp files go, then the services close as usual and remove the temp folder.
    const cutOff = setTimeout(() => {
      log.warn({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, "grace period over: closing the connections still open");
      app.server.closeAllConnections();
    }, graceMs);
    cutOff.unref();
    // The last resort if closing hangs: the temp folder still goes, synchronously, before the exit.
    const force = setTimeout(() => {
      fs.rmSync(services.temp.dir, { recursive: true, force: true });
      exit(1);
    }, graceMs + 15_000);
    force.unref();
    // Node closes the connections that are idle when closing starts. One whose answer was still
    // being sent stays open afterwards for as long as its client keeps it (browsers and undici
    // do), and the close waited for the forced exit: close those as they fall idle.
    const idle = setInterval(() => app.server.closeIdleConnections(), 100);
    idle.unref();
    try {
      await app.close();
      await sweeper.stop();
      await services.close();
      log.info("stopped");
      exit(0);
    } catch (err) {
      log.error({ err }, "shutdown failed");
      exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  await app.listen({ port: config.PORT, host: config.HOST });
  log.info({ exiftool: services.pool.version, database: services.db.kind, allocator, publicBaseUrl: config.PUBLIC_BASE_URL }, "exifapi ready");
}
