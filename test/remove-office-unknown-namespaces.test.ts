import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docxWithDocument, W, XML } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * Markup compatibility (ECMA-376 Part 3) lets a writer put markup of its own namespaces into a
 * part, declared ignorable: a reader that does not understand a namespace skips its elements and
 * attributes, and picks no `mc:Choice` that requires it. Markup of a namespace no Office version
 * knows (a document management system's ids, an add-in's data, a damaged declaration) is therefore
 * never shown, and ExifTool does not read it: the copy kept it (found by fuzz seed 777001 #2774, an
 * XLSX whose deflate stream, flipped, garbled Excel's namespaces around its saved path).
 */

let server: RunningServer;
let dir: string;
const MARKER = "McHidden2209";
const MC = "http://schemas.openxmlformats.org/markup-compatibility/2006";
const W14 = "http://schemas.microsoft.com/office/word/2010/wordml";
const DMS = "http://schemas.acme-dms.example/docid/2021";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mce-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const text = (t: string): string => `<w:r><w:t>${t}</w:t></w:r>`;

describe("markup of ignorable namespaces no Office version knows", () => {
  it("goes (elements, attributes, choices requiring it, an alternative left without one), but content a reader is told to process and Office's own ignorable markup stay", async () => {
    const document = `${XML}<w:document xmlns:w="${W}" xmlns:mc="${MC}" xmlns:w14="${W14}" xmlns:dms="${DMS}" mc:Ignorable="w14 dms" mc:ProcessContent="dms:wrap"><w:body>
<w:p w14:paraId="1A2B3C4D" dms:owner="${MARKER} owner">${text("Visible text one")}</w:p>
<dms:docInfo><dms:id>${MARKER} id</dms:id></dms:docInfo>
<w:p><mc:AlternateContent><mc:Choice Requires="dms">${text(`${MARKER} choice`)}</mc:Choice><mc:Fallback>${text("Fallback text")}</mc:Fallback></mc:AlternateContent></w:p>
<w:p><mc:AlternateContent><mc:Choice Requires="dms"><dms:stamp>${MARKER} stamp</dms:stamp></mc:Choice></mc:AlternateContent>${text("Visible text two")}</w:p>
<w:p><dms:wrap dms:by="${MARKER}">${text("Wrapped text")}</dms:wrap></w:p>
<w:sectPr/></w:body></w:document>`;
    const file = path.join(dir, "dms.docx");
    await fs.writeFile(file, await docxWithDocument(document));

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.docx");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const part = (await run("unzip", ["-p", out, "word/document.xml"])).stdout.toString("utf8");
    expect(part).toContain('w14:paraId="1A2B3C4D"');
    expect(part).toContain(`<w:p><mc:AlternateContent><mc:Fallback>${text("Fallback text")}</mc:Fallback></mc:AlternateContent></w:p>`);
    expect(part).toContain(`<w:p>${text("Visible text two")}</w:p>`);
    expect(part).toContain(`<w:p>${text("Wrapped text")}</w:p>`);
    // The declarations stay: mc:Ignorable still names the prefix.
    expect(part).toContain(`xmlns:dms="${DMS}"`);
  });
});
