import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Services } from "../services.js";

/** What the routes report besides what the hooks see: work per file type. */
export interface Metrics {
  /** @param startedAt `performance.now()` when the read began */
  extracted(fileType: string | null, bytes: number, startedAt: number): void;
  /** @param startedAt `performance.now()` when the cleaning began */
  cleaned(fileType: string | null, bytes: number, startedAt: number): void;
}

declare module "fastify" {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Prometheus metrics at `GET /metrics`. A registry of its own per app, so two apps in one process
 * (tests) do not collide. Pool, budget and storage gauges are read when scraped, not kept up to date.
 */
export function registerMetrics(app: FastifyInstance, services: Pick<Services, "pool" | "cleanedFiles" | "config" | "budget">): void {
  const register = new Registry();
  collectDefaultMetrics({ register });

  const requests = new Counter({ name: "exifapi_http_requests_total", help: "HTTP requests answered, by route and status", labelNames: ["method", "route", "status"], registers: [register] });
  const requestSeconds = new Histogram({ name: "exifapi_http_request_duration_seconds", help: "Time to answer an HTTP request", labelNames: ["method", "route", "status"], buckets: SECONDS, registers: [register] });
  const rateLimited = new Counter({ name: "exifapi_rate_limited_total", help: "Requests refused by the rate limit (429)", registers: [register] });
  const extractSeconds = new Histogram({ name: "exifapi_extraction_duration_seconds", help: "Time to read a file's metadata, by file type", labelNames: ["file_type"], buckets: SECONDS, registers: [register] });
  const cleanSeconds = new Histogram({ name: "exifapi_cleaning_duration_seconds", help: "Time to clean and verify a file, by file type", labelNames: ["file_type"], buckets: SECONDS, registers: [register] });
  const bytes = new Counter({ name: "exifapi_processed_bytes_total", help: "Bytes of files read or cleaned", labelNames: ["operation"], registers: [register] });

  const { exiftool } = services.pool;
  new Gauge({ name: "exifapi_exiftool_max_processes", help: "Configured size of the ExifTool pool", registers: [register] }).set(services.config.EXIFTOOL_PROCS);
  new Gauge({ name: "exifapi_exiftool_processes", help: "ExifTool processes running", registers: [register], collect() { this.set(exiftool.pids.length); } });
  new Gauge({ name: "exifapi_exiftool_busy_processes", help: "ExifTool processes working on a task", registers: [register], collect() { this.set(exiftool.busyProcs); } });
  new Gauge({ name: "exifapi_exiftool_pending_tasks", help: "Tasks waiting for an ExifTool process", registers: [register], collect() { this.set(exiftool.pendingTasks); } });
  const { budget } = services;
  new Gauge({ name: "exifapi_work_files", help: "Files in work (admitted by the work budget)", registers: [register], collect() { this.set(budget.usage().files); } });
  new Gauge({ name: "exifapi_work_bytes", help: "Bytes the files in work weigh in the work budget", registers: [register], collect() { this.set(budget.usage().bytes); } });
  new Gauge({ name: "exifapi_work_queued_requests", help: "Requests waiting for room in the work budget", registers: [register], collect() { this.set(budget.usage().queued); } });
  const storedFiles = new Gauge({ name: "exifapi_downloads_stored", help: "Cleaned files that can still be downloaded", registers: [register] });
  const storedBytes = new Gauge({ name: "exifapi_downloads_stored_bytes", help: "Bytes of cleaned files that can still be downloaded", registers: [register] });

  const typeLabel = (fileType: string | null): string => fileType ?? "unknown";
  const since = (startedAt: number): number => (performance.now() - startedAt) / 1000;
  app.decorate("metrics", {
    extracted(fileType, size, startedAt) {
      extractSeconds.observe({ file_type: typeLabel(fileType) }, since(startedAt));
      bytes.inc({ operation: "extract" }, size);
    },
    cleaned(fileType, size, startedAt) {
      cleanSeconds.observe({ file_type: typeLabel(fileType) }, since(startedAt));
      bytes.inc({ operation: "remove" }, size);
    },
  } satisfies Metrics);

  app.addHook("onResponse", async (request, reply) => {
    // The route pattern, never the raw URL: UUIDs and keys in paths would explode the label set.
    const labels = { method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) };
    requests.inc(labels);
    requestSeconds.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode === 429) rateLimited.inc();
  });

  app.get(
    "/metrics",
    {
      schema: {
        summary: "Prometheus metrics: requests, processing times per file type, ExifTool pool, work budget, stored downloads",
        tags: ["operations"],
        produces: ["text/plain"],
        response: { 200: { description: "Prometheus text exposition format", type: "string" } },
      },
    },
    async (_request, reply) => {
      const stats = await services.cleanedFiles.stats(new Date());
      storedFiles.set(stats.count);
      storedBytes.set(stats.bytes);
      return reply.type(register.contentType).send(await register.metrics());
    },
  );
}
