import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeRendering, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { withEarlierSave } from "./helpers/make-ppt-edits.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * PowerPoint's fast saves append what changed and leave the earlier records whole: a slide's
 * earlier wording, a deleted slide, the earlier title. No reader of the presentation shows them,
 * but they were in the copy, a 200 with nothing said (18 of Apache POI's presentations held
 * such records). The records no save refers to any more become zeros; the presentation shows
 * the same.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ppt-earlier-saves-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

/** What catppt reads: the text atoms of every record of the stream in its order, the earlier saves' included. */
async function catppt(file: string): Promise<string> {
  return (await run("catppt", ["-d", "utf-8", file])).stdout.toString("utf8");
}

describe("POST /api/v1/remove on PowerPoint 97-2003 presentations saved fast", () => {
  it("a slide's wording before the last save goes; the presentation shows the same", async () => {
    // As long as the slide's text, "Hello slide text", which it replaces in the earlier version.
    const earlier = `Was${crypto.randomBytes(4).toString("hex")}words`;
    const file = await makeMarkedLegacyOffice(dir, "ppt", `PptEdits${crypto.randomBytes(4).toString("hex")}`);
    const fastSaved = await save(withEarlierSave(await fs.readFile(file), "Hello slide text", earlier), "fast-saved.ppt");
    // The construction is sound: LibreOffice shows the current version; the earlier one is in the file.
    const shown = await legacyOfficeRendering(dir, "ppt", fastSaved);
    expect(shown).toEqual(await legacyOfficeRendering(dir, "ppt", file));
    expect(shown.text).toContain("Hello slide text");
    expect(await findMarker(await fs.readFile(fastSaved), earlier)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, fastSaved, "fast-saved.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, earlier)).toEqual([]);
    expect(await legacyOfficeRendering(dir, "ppt", cleaned!)).toEqual(shown);
  }, 180_000);

  it("PowerPoint's own presentation saved twice (Apache POI's 41071.ppt): the first save's title goes, the presentation shows the same", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "ppt", "earlier-title.ppt");
    const earlierTitle = "Jägartips inför jul";
    expect(await catppt(file)).toContain(earlierTitle);
    const shown = await legacyOfficeRendering(dir, "ppt", file);
    expect(shown.text).not.toContain(earlierTitle);

    const { status, body, cleaned } = await removeViaApi(server, file, "earlier-title.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    for (const encoding of ["utf16le", "latin1"] as const) expect(cleaned!.includes(Buffer.from(earlierTitle, encoding)), encoding).toBe(false);
    const copy = await save(cleaned!, "cleaned.ppt");
    expect(await legacyOfficeRendering(dir, "ppt", copy)).toEqual(shown);
    expect(await catppt(copy)).toContain("Tom presentasjon");
  }, 180_000);
});
