import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { breakModule, copyOfBuild } from "./helpers/built-copy.js";
import { makeJpeg } from "./helpers/make-images.js";
import { pdfWithFlateImage } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";

// The registry imports a cleaner's modules on the first file of its types, in each thread that
// meets one (src/cleaners/registry.ts): a new worker thread no longer loads every family's ~230
// modules before its first task. Shown on a built copy whose PDF cleaner module cannot load: the
// service starts, JPEGs are cleaned and PDFs read by threads that never touch that module, and only
// a PDF removal, the one request that needs it, fails.
describe("a cleaner's modules, loaded on the first file of its types", () => {
  let root: string;
  let server: RunningServer;
  let photo: string;
  const MARKER = "Lazyfamilymarker";

  beforeAll(async () => {
    root = await copyOfBuild();
    await breakModule(root, "dist/cleaners/pdf/pdf.js");
    server = await startServer({ MAX_FILES_IN_WORK: "2" }, { root });
    photo = await makeJpeg(root, MARKER);
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it("cleans JPEGs in worker threads that never load the PDF cleaner", async () => {
    for (let i = 0; i < 3; i++) {
      const { status, body, cleaned } = await removeViaApi(server, photo, "photo.jpg");
      expect(status, JSON.stringify(body)).toBe(200);
      expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    }
  }, 120_000);

  it("reads a PDF without its cleaner, and fails only the PDF removal, with a plain 500", async () => {
    const data = pdfWithFlateImage(MARKER);
    const extraction = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "doc.pdf", data }, { headers: { "X-API-Key": server.apiKey } });
    const read = await extraction.text();
    expect(extraction.status, read).toBe(200);
    expect(read).toContain(MARKER);

    const removal = await postFile(`${server.baseUrl}/api/v1/remove`, { name: "doc.pdf", data }, { headers: { "X-API-Key": server.apiKey } });
    const answer = await removal.text();
    expect(removal.status, answer).toBe(500);
    expect(JSON.parse(answer)).toEqual({ success: false, error: "An error occurred while processing your request" });
    expect(answer).not.toContain(root);

    expect((await removeViaApi(server, photo, "photo.jpg")).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  }, 120_000);
});
