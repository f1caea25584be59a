import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedJpeg, makeOffice, type Part, XML, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;
const MARKER = `Dtdmark${crypto.randomBytes(6).toString("hex")}`;
const OOO_PUBLIC = "-//OpenOffice.org//DTD OfficeDocument 1.0//EN";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-odf-dtd-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A StarBasic library as LibreOffice (6.4 here) still writes one: every part declares OpenOffice.org's DTD. */
const BASIC: Part[] = [
  ["Basic/script-lc.xml", `${XML}<!DOCTYPE library:libraries PUBLIC "${OOO_PUBLIC}" "libraries.dtd">\n<library:libraries xmlns:library="http://openoffice.org/2000/library" xmlns:xlink="http://www.w3.org/1999/xlink"><library:library library:name="Standard" library:link="false"/></library:libraries>`],
  ["Basic/Standard/script-lb.xml", `${XML}<!DOCTYPE library:library PUBLIC "${OOO_PUBLIC}" "library.dtd">\n<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false"><library:element library:name="Module1"/></library:library>`],
  ["Basic/Standard/Module1.xml", `${XML}<!DOCTYPE script:module PUBLIC "${OOO_PUBLIC}" "module.dtd">\n<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">Sub Main\n  MsgBox &quot;Hello&quot;\nEnd Sub\n</script:module>`],
];
const BASIC_CODE = 'Sub Main\n  MsgBox "Hello"\nEnd Sub\n';

/**
 * The hand-built ODT (a marker in every metadata field) with DOCTYPEs as OpenOffice.org 1 to 3
 * wrote them: the manifest's (its system identifier here a path holding the marker) and the
 * content's, and a Basic library as LibreOffice writes it. `doctype` replaces the manifest's.
 */
async function documentWithDoctypes(manifestDoctype = `<!DOCTYPE manifest:manifest PUBLIC "-//OpenOffice.org//DTD Manifest 1.0//EN" "file:///home/${MARKER}/Manifest.dtd">`, contentDoctype = `<!DOCTYPE office:document-content PUBLIC "${OOO_PUBLIC}" "office.dtd">`): Promise<string> {
  const { bytes } = await makeOffice("odt", MARKER, await makeMarkedJpeg(dir, MARKER));
  const { members } = await readZip(bytes);
  const afterDeclaration = (xml: string, doctype: string): string => xml.replace(XML, `${XML}${doctype}\n`);
  const basicEntries = BASIC.map(([name]) => `<manifest:file-entry manifest:full-path="${name}" manifest:media-type="text/xml"/>`).join("");
  const parts = members.map((m): Part => {
    const xml = m.data.toString("utf8");
    if (m.name === "META-INF/manifest.xml") return [m.name, afterDeclaration(xml, manifestDoctype).replace("</manifest:manifest>", `${basicEntries}</manifest:manifest>`)];
    if (m.name === "content.xml") return [m.name, afterDeclaration(xml, contentDoctype)];
    return [m.name, m.data];
  });
  const file = path.join(dir, `doctypes-${crypto.randomUUID()}.odt`);
  await fs.writeFile(file, await zip([...parts.slice(0, -1), ...BASIC, parts[parts.length - 1]!]));
  return file;
}

async function part(bytes: Buffer, name: string): Promise<string> {
  const found = (await readZip(bytes)).members.find((m) => m.name === name);
  if (found == null) throw new Error(`${name} is not in the copy`);
  return found.data.toString("utf8");
}

describe("POST /api/v1/remove on OpenDocument files whose parts name an external DTD", () => {
  it("cleans them as OpenOffice.org and LibreOffice's Basic wrote them: the DOCTYPEs go (with the path one named), the text and the macros stay", async () => {
    const file = await documentWithDoctypes();
    const { status, body, cleaned } = await removeViaApi(server, file, "old-office.odt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const manifest = await part(cleaned!, "META-INF/manifest.xml");
    expect(manifest).not.toContain("<!DOCTYPE");
    expect(manifest).toContain('manifest:full-path="Basic/Standard/Module1.xml"');
    const content = await part(cleaned!, "content.xml");
    expect(content).not.toContain("<!DOCTYPE");
    expect(content).toContain("Hello body text");
    const module = await part(cleaned!, "Basic/Standard/Module1.xml");
    expect(module).not.toContain("<!DOCTYPE");
    expect(module.replace(/&quot;/g, '"')).toContain(BASIC_CODE);
  });

  it.each([
    ["the manifest", (doctype: string) => documentWithDoctypes(doctype)],
    ["the content (a part read as a stream)", (doctype: string) => documentWithDoctypes(undefined, doctype)],
  ])("still refuses a DTD of the part's own, where entities are declared, in %s", async (_where, make) => {
    const file = await make(`<!DOCTYPE x [<!ENTITY a "${MARKER}">]>`);
    const { status, body } = await removeViaApi(server, file, "entities.odt");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The document holds an XML part with a DTD.");
  });
});
