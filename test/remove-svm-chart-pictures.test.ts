import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { zip, type Part } from "./helpers/make-office.js";
import { chartSpreadsheet, REPLACEMENT, replacementOf, svmAction, svmComment, svmLayout, withActions } from "./helpers/make-svm.js";
import { readZip } from "./helpers/read-archives.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { pixelSignature } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

/**
 * LibreOffice stores the picture an embedded chart or formula shows as a StarView metafile (SVM,
 * `ObjectReplacements/Object 1`), which ExifTool does not know: every ODF document with a chart was
 * refused ("an embedded file that cannot be cleaned ... (unknown type)"). SVMs are now cleaned by
 * a walk of their actions: drawing kept, comments other than drawing hints emptied in place,
 * bytes after the end dropped, an EPS inside refused. What LibreOffice draws from the cleaned
 * file is compared with what it draws from the original.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Svmmark${crypto.randomBytes(5).toString("hex")}`;
let chartOds: string;
let chartSvm: Buffer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-svm-"));
  server = await startServer();
  chartOds = await chartSpreadsheet(dir, MARKER);
  chartSvm = await replacementOf(await fs.readFile(chartOds));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** What LibreOffice draws from a metafile, as a pixel signature. */
async function drawn(svm: Buffer): Promise<string> {
  const work = await fs.mkdtemp(path.join(dir, "draw-"));
  const file = path.join(work, "drawing.svm");
  await fs.writeFile(file, svm);
  await soffice(work, ["--convert-to", "png", "--outdir", work, file]);
  return pixelSignature(path.join(work, "drawing.png"));
}

/** A metafile of no drawing, or one whose only action is a transparency holding such a metafile, `depth` times over. */
function nested(depth: number): Buffer {
  const { countAt, actionsAt } = svmLayout(chartSvm);
  const header = (count: number): Buffer => {
    const h = Buffer.from(chartSvm.subarray(0, actionsAt));
    h.writeUInt32LE(count, countAt);
    return h;
  };
  let svm = header(0);
  for (let d = 0; d < depth; d++) svm = Buffer.concat([header(1), svmAction(147, Buffer.concat([svm, Buffer.alloc(20)]))]);
  return svm;
}

describe("StarView metafiles (SVM)", () => {
  it("a spreadsheet with a chart, as LibreOffice saves it: cleaned, the chart's picture kept byte for byte", async () => {
    expect(chartSvm.subarray(0, 6).toString("latin1")).toBe("VCLMTF");
    const { status, body, cleaned } = await removeViaApi(server, chartOds, "chart.ods");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(await replacementOf(cleaned!)).toEqual(chartSvm);
  });

  it("comments other than drawing hints are emptied in place, bytes after the end dropped; LibreOffice draws the same picture", async () => {
    const url = Buffer.from(`file:///home/${MARKER}/secret.ods`, "utf16le");
    const dirty = withActions(chartSvm, [svmComment("FIELD_SEQ_BEGIN", url), svmComment(`Author ${MARKER}`, Buffer.from(`made by ${MARKER}`))], Buffer.from(`trailing ${MARKER}`));
    expect(await findMarker(dirty, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "chart.svm", dirty), "chart.svm");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ metafileText: 2 });
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    // Same size but for the trailing bytes: nothing moved.
    expect(cleaned!.length).toBe(dirty.length - `trailing ${MARKER}`.length);
    const { actionsAt } = svmLayout(chartSvm);
    expect(cleaned!.subarray(cleaned!.length - (chartSvm.length - actionsAt))).toEqual(chartSvm.subarray(actionsAt));
    // A copy cleaned again is handed back as it is, with nothing counted.
    const again = await removeViaApi(server, await savedIn(dir, "again.svm", cleaned!), "again.svm");
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body["removed"]).not.toHaveProperty("metafileText");
    expect(again.cleaned).toEqual(cleaned);
    const original = await drawn(chartSvm);
    expect(await drawn(cleaned!)).toBe(original);
    // Not two failed reads alike: a drawing of no actions draws something else.
    expect(await drawn(nested(0))).not.toBe(original);
  });

  it("the same drawing inside a spreadsheet: its comments emptied there too", async () => {
    const dirty = withActions(chartSvm, [svmComment(`Note ${MARKER}`, Buffer.from(MARKER))]);
    const parts = (await readZip(await fs.readFile(chartOds))).members.filter((e) => !e.name.endsWith("/")).map((e): Part => [e.name, e.name === REPLACEMENT ? dirty : e.data]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "chart.ods", await zip(parts)), "chart.ods");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect((await replacementOf(cleaned!)).length).toBe(dirty.length);
  });

  it("an EPS inside is refused; an action of no known type is damage", async () => {
    const eps = withActions(chartSvm, [svmAction(143, Buffer.from(`%!PS-Adobe-3.0 EPSF-3.0\n%%Creator: ${MARKER}\n`))]);
    const refused = await removeViaApi(server, await savedIn(dir, "eps.svm", eps), "eps.svm");
    expect(refused.status).toBe(422);
    expect(refused.body["error"]).toBe("The drawing (SVM) holds an EPS picture, whose PostScript names its creator; this service cannot clean it.");
    expect(refused.cleaned).toBeNull();
    const unknown = withActions(chartSvm, [svmAction(300, Buffer.from(MARKER))]);
    const damaged = await removeViaApi(server, await savedIn(dir, "odd.svm", unknown), "odd.svm");
    expect(damaged.status).toBe(422);
    expect(damaged.body["error"]).toBe("The drawing (SVM) is damaged: its actions could not be read through.");
  });

  it("metafiles nested in transparency actions: walked to a depth, deeper is too complex", async () => {
    const inner = withActions(nested(3), [svmComment(`Deep ${MARKER}`, Buffer.from(MARKER))]);
    const shallow = await removeViaApi(server, await savedIn(dir, "nested.svm", withActions(chartSvm, [svmAction(147, Buffer.concat([inner, Buffer.alloc(20)]))])), "nested.svm");
    expect(shallow.status, JSON.stringify(shallow.body)).toBe(200);
    expect(shallow.body["removed"]).toMatchObject({ metafileText: 1 });
    expect(await findMarker(shallow.cleaned!, MARKER)).toEqual([]);
    const deep = await removeViaApi(server, await savedIn(dir, "deep.svm", nested(20)), "deep.svm");
    expect(deep.status).toBe(422);
    expect(deep.body["error"]).toBe("The file is too complex to process within this service's limits.");
  });
});
