import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, ROOT, startServer } from "./helpers/server.js";

/*
 * Fuzz seed 2024120640, #2739 (test/fixtures/mkv/README.md): a Matroska file whose elements run
 * past their parents. ffprobe reads an H.264 configuration from the remuxed copy that the copy's
 * bytes do not hold, so the SEI check of that configuration could not patch it: the removal was a
 * 500. Such a file is damaged: a 422 that says what could not be read.
 */
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mkv-damaged-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

it("a Matroska file whose elements run past their parents is refused as damaged, not a 500", async () => {
  const refused = await removeViaApi(server, path.join(ROOT, "test", "fixtures", "mkv", "damaged-elements.mkv"));
  expect(refused.status, JSON.stringify(refused.body)).toBe(422);
  expect(refused.body["error"]).toBe("The MKV file's video configuration could not be read.");
  expect(refused.cleaned).toBeNull();
});
