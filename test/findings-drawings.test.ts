import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEmf, makeWmf } from "./helpers/make-legacy-pictures.js";
import { chartSpreadsheet, replacementOf, svmComment, withActions } from "./helpers/make-svm.js";
import { makeMarkedJpeg, makeOffice, zip } from "./helpers/make-office.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { savedIn } from "./helpers/saved.js";

/**
 * EMF, WMF and SVM drawings, which ExifTool does not read: what they carry that no viewer draws
 * (an EMF's description naming the program and the picture, comment records, a field's file URL)
 * was removed (`removed.metafileText`) but never reported; an extraction found nothing at all.
 */

const MARKER = "Drawnby Quillfeather";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-drawing-findings-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const isDrawingFinding = (title: string): boolean => title.startsWith("The drawing carries ");

/** The drawing's finding says as many pieces as its removal counts; its cleaned copy has none. */
async function expectReportedThenGone(name: string, data: Buffer): Promise<string | undefined> {
  const found = (await findingsViaApi(server, name, data)).filter((f) => isDrawingFinding(f.title));
  expect(found.map((f) => [f.kind, f.severity])).toEqual([["hidden", "medium"]]);
  const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, name, data));
  expect(status, JSON.stringify(body)).toBe(200);
  const removed = (body["removed"] as Record<string, number>)["metafileText"];
  expect(removed).toBeGreaterThan(0);
  expect(found[0]!.title).toContain(`carries ${removed} piece(s)`);
  expect((await findingsViaApi(server, `cleaned-${name}`, cleaned!)).filter((f) => isDrawingFinding(f.title))).toEqual([]);
  return found[0]!.value;
}

describe("what a drawing carries that no viewer draws", () => {
  it("an EMF: its description (program and picture name) shown, its comment records counted", async () => {
    const value = await expectReportedThenGone("drawing.emf", makeEmf(MARKER));
    expect(value).toBe(`Painter ${MARKER}; ${MARKER}.emf`);
  });

  it("a WMF: its comment escape counted", async () => {
    await expectReportedThenGone("drawing.wmf", makeWmf(MARKER));
  });

  it("drawings in a DOCX's media folder (Word stores pasted drawings so): each found, named in its finding", async () => {
    const docx = await readZip((await makeOffice("docx", "Docmark", await makeMarkedJpeg(dir, "Docmark"))).bytes);
    const parts = docx.members.filter((m) => !m.name.endsWith("/")).map((m): [string, Buffer] => [m.name, m.data]);
    parts.push(["word/media/image2.emf", makeEmf(MARKER)], ["word/media/image3.wmf", makeWmf(MARKER)]);
    const found = (await findingsViaApi(server, "drawings.docx", await zip(parts))).filter((f) => f.title.includes("The drawing carries "));
    expect(found.map((f) => f.title.split(":")[0]).sort()).toEqual(["word/media/image2.emf", "word/media/image3.wmf"]);
    expect(found.find((f) => f.title.startsWith("word/media/image2.emf"))?.value).toBe(`Painter ${MARKER}; ${MARKER}.emf`);
  });

  it("LibreOffice's picture of a chart (SVM) with a field's file URL: counted", async () => {
    const chart = await replacementOf(await fs.readFile(await chartSpreadsheet(dir, "Chartmark")));
    const clean = (await findingsViaApi(server, "chart.svm", chart)).filter((f) => isDrawingFinding(f.title));
    expect(clean).toEqual([]);
    const url = Buffer.from(`file:///home/${MARKER}/secret.ods`, "utf16le");
    await expectReportedThenGone("chart.svm", withActions(chart, [svmComment("FIELD_SEQ_BEGIN", url)]));
  }, 120_000);
});
