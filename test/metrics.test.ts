import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePng } from "./helpers/make-files.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-metrics-"));
  // Two POSTs a minute: the test reaches a 429 within its first four.
  server = await startServer({ RATE_LIMIT_PER_MINUTE: "2" });
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The value of one sample, found by its exact name and labels as prom-client prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line == null ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("counts requests, work per file type, bytes, rate-limit refusals, the ExifTool pool, the work budget and stored downloads", async () => {
    const png = await fs.readFile(await makePng(dir));
    const headers = { "X-API-Key": server.apiKey };
    const extract = () => postFile(`${server.baseUrl}/api/v1/extract`, { name: "text.png", data: png }, { headers });
    expect((await extract()).status).toBe(200);
    const removed = await postFile(`${server.baseUrl}/api/v1/remove`, { name: "text.png", data: png }, { headers });
    expect(removed.status).toBe(200);
    const { uuid } = (await removed.json()) as { uuid: string };
    expect((await fetch(`${server.baseUrl}/download-cleaned/${uuid}`)).status).toBe(200);
    // In-process limits count each endpoint apart, Redis counts a key's POSTs together: extract
    // until refused, and expect what was seen.
    let extractions = 1;
    let status = 0;
    for (let attempt = 0; attempt < 3 && status !== 429; attempt++) {
      status = (await extract()).status;
      if (status === 200) extractions += 1;
    }
    expect(status).toBe(429);
    expect((await fetch(`${server.baseUrl}/no-such-page`)).status).toBe(404);

    const res = await fetch(`${server.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    expect(sample(text, 'exifapi_http_requests_total{method="POST",route="/api/v1/extract",status="200"}')).toBe(extractions);
    expect(sample(text, 'exifapi_http_requests_total{method="POST",route="/api/v1/remove",status="200"}')).toBe(1);
    expect(sample(text, 'exifapi_http_requests_total{method="POST",route="/api/v1/extract",status="429"}')).toBe(1);
    // Route patterns, never raw paths: a UUID in a label would grow the series without bound.
    expect(sample(text, 'exifapi_http_requests_total{method="GET",route="/download-cleaned/:uuid",status="200"}')).toBe(1);
    expect(sample(text, 'exifapi_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain(uuid);
    expect(sample(text, 'exifapi_http_request_duration_seconds_count{method="POST",route="/api/v1/remove",status="200"}')).toBe(1);
    expect(sample(text, "exifapi_rate_limited_total")).toBe(1);

    expect(sample(text, 'exifapi_extraction_duration_seconds_count{file_type="PNG"}')).toBe(extractions);
    expect(sample(text, 'exifapi_cleaning_duration_seconds_count{file_type="PNG"}')).toBe(1);
    expect(sample(text, 'exifapi_cleaning_duration_seconds_sum{file_type="PNG"}')).toBeGreaterThan(0);
    expect(sample(text, 'exifapi_processed_bytes_total{operation="extract"}')).toBe(extractions * png.length);
    expect(sample(text, 'exifapi_processed_bytes_total{operation="remove"}')).toBe(png.length);

    expect(sample(text, "exifapi_exiftool_max_processes")).toBe(2);
    expect(sample(text, "exifapi_exiftool_processes")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "exifapi_exiftool_busy_processes")).toBe(0);
    expect(sample(text, "exifapi_exiftool_pending_tasks")).toBe(0);
    // Every request answered: nothing holds room in the work budget (see concurrent-pdf-objects
    // for the gauges while files are in work).
    expect(sample(text, "exifapi_work_files")).toBe(0);
    expect(sample(text, "exifapi_work_bytes")).toBe(0);
    expect(sample(text, "exifapi_work_queued_requests")).toBe(0);
    expect(sample(text, "exifapi_downloads_stored")).toBe(1);
    expect(sample(text, "exifapi_downloads_stored_bytes")).toBeGreaterThan(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});
