import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An Excel binary workbook (XLSB), whose parts are records rather than XML, was refused as "an
 * embedded file that cannot be cleaned: xl/workbook.bin (unknown type)", or as holding "a damaged
 * XML part": ExifTool, reading it without its extension, calls it a DOCX. It is refused naming
 * its format.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xlsb-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on an Excel binary workbook", () => {
  it("Excel's own XLSB (Apache POI's Simple.xlsb): 422 naming the format", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "xlsx", "simple.xlsb");
    const names = (await readZip(await fs.readFile(file))).members.map((m) => m.name);
    expect(names).toContain("xl/workbook.bin");
    expect(names).toContain("xl/worksheets/sheet1.bin");
    const { status, body, cleaned } = await removeViaApi(server, file, "simple.xlsb");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (XLSB)");
    expect(cleaned).toBeNull();
  }, 120_000);
});
