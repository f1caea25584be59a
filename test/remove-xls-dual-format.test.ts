import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { excel95Book } from "./helpers/make-excel95.js";
import { legacyOfficeText, makeMarkedLegacyOffice, writeCompound } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * Excel's "Microsoft Excel 97 & 5.0/95 Workbook" format holds the workbook twice: a BIFF8
 * `Workbook` stream and a BIFF5 `Book` stream for Excel 5.0 and 95. Only the first was scrubbed:
 * Apache POI's SimpleWithPageBreaks.xls came back 200 with `remaining` empty and its last user's
 * name in the Book stream's WriteAccess record (test fails on main).
 */

const MARKER = "QXDUALSAVER";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xls-dual-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("an Excel 97 & 5.0/95 workbook", () => {
  it("loses the last user's name from both its Workbook and its Book streams; the cells read the same", async () => {
    const doc = CFB.read(await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", `${MARKER}97`)), { type: "buffer" });
    CFB.utils.cfb_add(doc, "/Book", excel95Book(`${MARKER}95`, [[0, 0, "alpha"], [0, 1, "beta cell"]]));
    const file = await writeCompound(dir, doc, "dual.xls");
    for (const m of [`${MARKER}97`, `${MARKER}95`]) expect(await findMarker(file, m), m).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const out = path.join(dir, "cleaned.xls");
    await fs.writeFile(out, cleaned!);
    const book = (f: Buffer): Buffer => Buffer.from(CFB.find(CFB.read(f, { type: "buffer" }), "Book")!.content as Uint8Array);
    expect(book(cleaned!).length).toBe(book(await fs.readFile(file)).length);
    expect(book(cleaned!).includes(Buffer.from("beta cell"))).toBe(true);
    const text = await legacyOfficeText(dir, "xls", file);
    expect(text).toContain("beta cell");
    expect(await legacyOfficeText(dir, "xls", out)).toBe(text);
  }, 240_000);
});
