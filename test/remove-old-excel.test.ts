import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";

/*
 * Excel 2.x to 4.0 wrote a bare BIFF stream, not a compound file; ExifTool does not know it, and
 * the service refused such a file (Apache Tika's testEXCEL_4.xls) as "not supported for this file
 * type (unknown)". Its WriteAccess record names whoever saved it. The service does not clean this
 * format; its refusal now names it.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-old-excel-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function record(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/**
 * An Excel 4.0 worksheet (BIFF4): BOF, WriteAccess (the last user's name, padded to 31 bytes),
 * Dimensions, one Label cell at A1, EOF.
 */
function excel4Worksheet(user: string, label: string): Buffer {
  const bof = Buffer.from([0x00, 0x00, 0x10, 0x00, 0x00, 0x00]);
  const writeAccess = Buffer.alloc(32, 0x20);
  writeAccess[0] = user.length;
  writeAccess.write(user, 1, "latin1");
  const dimensions = Buffer.from([0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
  const cell = Buffer.alloc(8);
  cell.writeUInt16LE(0x0f, 4);
  cell.writeUInt16LE(label.length, 6);
  return Buffer.concat([
    record(0x0409, bof),
    record(0x005c, writeAccess),
    record(0x0200, dimensions),
    record(0x0204, Buffer.concat([cell, Buffer.from(label, "latin1")])),
    record(0x000a, Buffer.alloc(0)),
  ]);
}

describe("an Excel 4.0 worksheet", () => {
  it("is refused naming its format, and its metadata read names it too", async () => {
    const user = `Saver${crypto.randomBytes(4).toString("hex")}`;
    const file = path.join(dir, "old.xls");
    await fs.writeFile(file, excel4Worksheet(user, "alpha cell"));
    // A real Excel 4.0 file: LibreOffice reads its cell.
    await soffice(dir, ["--convert-to", "csv", "--outdir", dir, file]);
    expect(await fs.readFile(path.join(dir, "old.csv"), "utf8")).toContain("alpha cell");

    const { status, body } = await removeViaApi(server, file, "old.xls");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (Excel 4.0 worksheet)");

    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "old.xls", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    const extracted = (await res.json()) as { metadata: { File: Record<string, unknown> } };
    expect(res.status).toBe(200);
    expect(extracted.metadata.File["FileType"]).toBe("Excel 4.0 worksheet");
    expect(extracted.metadata.File["Type"]).toBe("application/vnd.ms-excel");
  }, 120_000);
});
