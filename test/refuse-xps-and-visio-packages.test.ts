import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Part, zip } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/*
 * XPS documents and Visio templates or macro-enabled drawings are Office packages ExifTool calls
 * DOCX. Their removal was refused as a damaged document ("The document's package does not lead to
 * its main part.", Apache Tika's test_text.xps and testVISIO.vstx); they are named by their parts
 * now, and refused as types no cleaner handles, as a VSDX already was. Extraction names them too.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-xps-visio-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const CORE_TYPE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties";

function core(author: string): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>${author}</dc:creator></cp:coreProperties>`;
}

function rootRels(mainType: string, main: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="R1" Type="${mainType}" Target="${main}"/><Relationship Id="R2" Type="${CORE_TYPE}" Target="docProps/core.xml"/></Relationships>`;
}

function contentTypes(overrides: ReadonlyArray<[string, string]>): string {
  const parts = overrides.map(([name, type]) => `<Override PartName="${name}" ContentType="${type}"/>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${parts}<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`;
}

/** An XPS document of one page ([MS-XPS]: a fixed document sequence at the package's root). */
function xps(author: string): Part[] {
  return [
    ["[Content_Types].xml", contentTypes([["/FixedDocSeq.fdseq", "application/vnd.ms-package.xps-fixeddocumentsequence+xml"], ["/Documents/1/FixedDoc.fdoc", "application/vnd.ms-package.xps-fixeddocument+xml"], ["/Documents/1/Pages/1.fpage", "application/vnd.ms-package.xps-fixedpage+xml"]])],
    ["_rels/.rels", rootRels("http://schemas.microsoft.com/xps/2005/06/fixedrepresentation", "FixedDocSeq.fdseq")],
    ["FixedDocSeq.fdseq", '<FixedDocumentSequence xmlns="http://schemas.microsoft.com/xps/2005/06"><DocumentReference Source="Documents/1/FixedDoc.fdoc"/></FixedDocumentSequence>'],
    ["Documents/1/FixedDoc.fdoc", '<FixedDocument xmlns="http://schemas.microsoft.com/xps/2005/06"><PageContent Source="Pages/1.fpage"/></FixedDocument>'],
    ["Documents/1/Pages/1.fpage", '<FixedPage xmlns="http://schemas.microsoft.com/xps/2005/06" Width="816" Height="1056" xml:lang="en-US"><Path Data="M 10,10 L 100,10 100,100 Z" Fill="#FF0000"/></FixedPage>'],
    ["docProps/core.xml", core(author)],
  ];
}

/** A Visio template (VSTX): its document part under `visio/`. */
function visioTemplate(author: string): Part[] {
  return [
    ["[Content_Types].xml", contentTypes([["/visio/document.xml", "application/vnd.ms-visio.template.main+xml"]])],
    ["_rels/.rels", rootRels("http://schemas.microsoft.com/visio/2010/relationships/document", "visio/document.xml")],
    ["visio/document.xml", '<VisioDocument xmlns="http://schemas.microsoft.com/office/visio/2012/main"/>'],
    ["docProps/core.xml", core(author)],
  ];
}

describe("Office packages of types no cleaner handles, which ExifTool calls DOCX", () => {
  for (const { name, parts, type } of [
    { name: "report.xps", parts: xps, type: "XPS" },
    { name: "flowchart.vstx", parts: visioTemplate, type: "VSDX" },
  ]) {
    it(`${name}: removal is refused naming its type (${type}), extraction names it and shows its author`, async () => {
      const author = `Packager${crypto.randomBytes(4).toString("hex")}`;
      // Sent without its extension, as the type must come from the bytes.
      const file = await savedIn(dir, name.replace(/\..*$/, ""), await zip(parts(author)));
      const { status, body, cleaned } = await removeViaApi(server, file);
      expect(status, JSON.stringify(body)).toBe(422);
      expect(body["error"]).toBe(`Metadata removal is not supported for this file type (${type})`);
      expect(cleaned).toBeNull();
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
      expect(res.status).toBe(200);
      const metadata = ((await res.json()) as { metadata: Record<string, Record<string, unknown>> }).metadata;
      expect(metadata["File"]!["FileType"]).toBe(type);
      expect(JSON.stringify(metadata)).toContain(author);
    }, 60_000);
  }
});
