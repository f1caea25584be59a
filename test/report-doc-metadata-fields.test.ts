import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { docxWithDocument } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";

/*
 * Word fields (in 97-2003 documents and DOCX alike) can print a document's metadata into its text: USERNAME or AUTHOR a name,
 * FILENAME \p the folder the file was saved in. What they show is text of the document, which
 * cleaning keeps; nothing told the user so. Extraction now reports such fields with what they show.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-doc-fields-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A Word document (97-2003 or DOCX, `format`) made by LibreOffice, in a folder named by `marker`, whose text holds a
 * USERNAME field showing a name with `marker` in it, a FILENAME \p field (LibreOffice writes the
 * path of the file it converts as its result) and an ordinary FILENAME field without the path.
 */
async function makeDocWithFields(marker: string, format: "doc" | "docx"): Promise<{ file: string; folder: string }> {
  const folder = path.join(dir, `${marker}-${format}-folder`);
  await fs.mkdir(folder);
  const source = path.join(folder, "fields.fodt");
  await fs.writeFile(
    source,
    `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text><text:p>Typed by <text:author-name text:fixed="true">Bob ${marker}</text:author-name>, saved as <text:file-name text:display="full">x</text:file-name>, named <text:file-name text:display="name-and-extension">y</text:file-name>.</text:p></office:text></office:body></office:document>`,
  );
  await soffice(folder, ["--convert-to", format, "--outdir", folder, source]);
  return { file: path.join(folder, `fields.${format}`), folder };
}

describe("POST /api/v1/extract on Word documents whose fields show metadata", () => {
  it.each(["doc", "docx"] as const)("%s: reports the name and the folder the fields show, before cleaning and after (the text stays)", async (format) => {
    const marker = `FieldMark${crypto.randomBytes(4).toString("hex")}`;
    const { file, folder } = await makeDocWithFields(marker, format);
    const bytes = await fs.readFile(file);
    const fieldFindings = (fs: { kind: string; title: string }[]): { kind: string; title: string; value?: string }[] => fs.filter((f) => f.title.includes("through fields"));

    const reported = fieldFindings(await findingsViaApi(server, `fields.${format}`, bytes));
    expect(reported).toHaveLength(1);
    expect(reported[0]!.kind).toBe("people");
    expect(reported[0]!.title).toContain("USERNAME, FILENAME");
    expect(reported[0]!.value).toContain(`USERNAME: Bob ${marker}`);
    expect(reported[0]!.value).toContain(`FILENAME: ${path.join(folder, "fields.fodt")}`);
    // FILENAME without \p shows the bare name: no folder, nothing reported for it.
    expect(reported[0]!.value).not.toContain("FILENAME: fields.fodt");

    const { status, body, cleaned } = await removeViaApi(server, file, `fields.${format}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(fieldFindings(await findingsViaApi(server, `cleaned.${format}`, cleaned!))).toEqual(reported);
  }, 120_000);

  it("docx: a character reference naming no character in a field's instruction is kept as written; the other findings of the document stay", async () => {
    const marker = `FieldMark${crypto.randomBytes(4).toString("hex")}`;
    const run = (inner: string): string => `<w:r>${inner}</w:r>`;
    const document = `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>${run('<w:t xml:space="preserve">Typed by </w:t>')}${run('<w:fldChar w:fldCharType="begin"/>')}${run('<w:instrText xml:space="preserve"> USERNAME &#9999999; </w:instrText>')}${run('<w:fldChar w:fldCharType="separate"/>')}${run(`<w:t>Bob ${marker}</w:t>`)}${run('<w:fldChar w:fldCharType="end"/>')}<w:ins w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z">${run("<w:t>added</w:t>")}</w:ins></w:p></w:body></w:document>`;
    const findings = await findingsViaApi(server, "fields.docx", await docxWithDocument(document));
    expect(findings.find((f) => f.title.includes("through fields"))?.value).toBe(`USERNAME: Bob ${marker}`);
    expect(findings.some((f) => f.title.includes("tracked change"))).toBe(true);
  }, 60_000);
});
