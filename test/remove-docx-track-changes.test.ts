import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { contentTypes, OD, rels, W, XML, zip } from "./helpers/make-office.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-docx-tracking-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const WT = "application/vnd.openxmlformats-officedocument.wordprocessingml";

/** A DOCX under review as Word saves it: an insertion and a deletion, Track Changes on in its settings beside other settings. */
async function reviewedDocx(): Promise<string> {
  const who = 'w:author="Someone" w:date="2023-05-06T07:08:09Z"';
  const document = `${XML}<w:document xmlns:w="${W}"><w:body><w:p><w:r><w:t xml:space="preserve">Alpha </w:t></w:r><w:ins w:id="1" ${who}><w:r><w:t xml:space="preserve">Inserted </w:t></w:r></w:ins><w:del w:id="2" ${who}><w:r><w:delText xml:space="preserve">Deleted </w:delText></w:r></w:del><w:r><w:t>Omega</w:t></w:r></w:p></w:body></w:document>`;
  const settings = `${XML}<w:settings xmlns:w="${W}"><w:zoom w:percent="120"/><w:trackRevisions/><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/></w:settings>`;
  const file = path.join(dir, `${crypto.randomUUID()}.docx`);
  await fs.writeFile(
    file,
    await zip([
      ["[Content_Types].xml", contentTypes([["/word/document.xml", `${WT}.document.main+xml`], ["/word/settings.xml", `${WT}.settings+xml`]])],
      ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "word/document.xml"]])],
      ["word/document.xml", document],
      ["word/_rels/document.xml.rels", rels([["rId1", `${OD}/settings`, "settings.xml"]])],
      ["word/settings.xml", settings],
    ]),
  );
  return file;
}

async function part(docx: Buffer, name: string): Promise<string> {
  const { members } = await readZip(docx);
  return members.find((m) => m.name === name)?.data.toString("utf8") ?? "";
}

/** Whether LibreOffice, a reader apart from the service, finds Track Changes on: it saves the document again as DOCX, its settings saying so. */
async function libreOfficeTracks(docx: Buffer): Promise<boolean> {
  const work = path.join(dir, `lo-${crypto.randomUUID()}`);
  await fs.mkdir(path.join(work, "out"), { recursive: true });
  await fs.writeFile(path.join(work, "document.docx"), docx);
  await soffice(work, ["--convert-to", "docx", "--outdir", path.join(work, "out"), path.join(work, "document.docx")]);
  return /<w:trackRevisions\b/.test(await part(await fs.readFile(path.join(work, "out", "document.docx")), "word/settings.xml"));
}

describe("POST /api/v1/remove on a DOCX with Track Changes on", () => {
  it("accepting the tracked changes turns Track Changes off; the other settings stay", async () => {
    const file = await reviewedDocx();
    expect(await libreOfficeTracks(await fs.readFile(file))).toBe(true);
    const { status, body, cleaned } = await removeViaApi(server, file, "review.docx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["trackedChanges"]).toBe(2);
    const settings = await part(cleaned!, "word/settings.xml");
    expect(settings).not.toContain("trackRevisions");
    for (const kept of ['<w:zoom w:percent="120"/>', '<w:defaultTabStop w:val="720"/>', "<w:characterSpacingControl"]) expect(settings).toContain(kept);
    expect(await libreOfficeTracks(cleaned!)).toBe(false);
  });

  it("keep=trackedChanges keeps the changes and Track Changes on", async () => {
    const file = await reviewedDocx();
    const { status, body, cleaned } = await removeViaApi(server, file, "review.docx", { keep: "trackedChanges" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await part(cleaned!, "word/settings.xml")).toContain("<w:trackRevisions/>");
    expect(await libreOfficeTracks(cleaned!)).toBe(true);
  });
});
