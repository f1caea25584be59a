import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { contentTypes, OD, rels, W, XML, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A Word mail merge's data source was copied as it was: its connection string (a user name, a
 * database password, the path of the address list in the user's folder), Office's data link to it
 * (ODSO), its query naming the list's path, and the relationships to the list's file. The
 * accounts go, the paths become the list's bare name; the letter's text stays, and the merge
 * still names its provider, its list and its table.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mail-merge-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const SETTINGS = "word/settings.xml";
const SETTINGS_RELS = "word/_rels/settings.xml.rels";

function mailMergeDocx(m: string): Promise<Buffer> {
  const list = `C:\\Users\\${m}\\Documents\\contacts.xlsx`;
  const connect = `Provider=Microsoft.ACE.OLEDB.12.0;User ID=${m}user;Data Source=${list};Mode=Read;Extended Properties=&quot;HDR=YES;IMEX=1;&quot;;Jet OLEDB:System database=&quot;C:\\Users\\${m}\\AppData\\Roaming\\Microsoft\\Access\\System.mdw&quot;;Jet OLEDB:Database Password=${m}secret;`;
  const settings =
    `${XML}<w:settings xmlns:w="${W}" xmlns:r="${OD}"><w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:linkToQuery/><w:dataType w:val="native"/>` +
    `<w:connectString w:val="${connect}"/><w:query w:val="SELECT * FROM \`${list}\`.\`Sheet1$\` "/><w:dataSource r:id="rId1"/><w:viewMergedData/>` +
    `<w:odso><w:udl w:val="${connect}"/><w:table w:val="Sheet1$"/><w:src r:id="rId2"/><w:colDelim w:val="9"/><w:fHdr/></w:odso></w:mailMerge></w:settings>`;
  const body = `${XML}<w:document xmlns:w="${W}"><w:body><w:p><w:r><w:t>Dear customer, your order has shipped.</w:t></w:r></w:p></w:body></w:document>`;
  return zip([
    [
      "[Content_Types].xml",
      contentTypes([
        ["/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"],
        ["/word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"],
      ]),
    ],
    ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "word/document.xml"]])],
    ["word/document.xml", body],
    ["word/_rels/document.xml.rels", rels([["rId1", `${OD}/settings`, "settings.xml"]])],
    [SETTINGS, settings],
    [
      SETTINGS_RELS,
      rels([
        ["rId1", `${OD}/mailMergeSource`, `file:///${list}`, true],
        ["rId2", `${OD}/mailMergeSource`, `file:///${list}`, true],
      ]),
    ],
  ]);
}

/** The letter's text as LibreOffice reads it. */
async function textOf(file: string): Promise<string> {
  const work = path.join(dir, `text-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  await fs.copyFile(file, path.join(work, "letter.docx"));
  await soffice(work, ["--convert-to", "txt:Text", "--outdir", work, path.join(work, "letter.docx")]);
  return fs.readFile(path.join(work, "letter.txt"), "utf8");
}

async function partOf(file: string, name: string): Promise<string> {
  const part = (await readZip(await fs.readFile(file))).members.find((p) => p.name === name);
  expect(part, name).toBeDefined();
  return part!.data.toString("utf8");
}

describe("POST /api/v1/remove on a DOCX set up for a mail merge", () => {
  it("the data source's accounts and folders go; the letter, the provider, the list's name and its table stay", async () => {
    const marker = `Merge${crypto.randomBytes(5).toString("hex")}`;
    const source = path.join(dir, "letter.docx");
    await fs.writeFile(source, await mailMergeDocx(marker));
    for (const part of [SETTINGS, SETTINGS_RELS]) expect(await partOf(source, part), part).toContain(marker);

    const { out } = await cleanedCopyViaApi(server, source, dir);
    expect(await findMarker(out, marker)).toEqual([]);

    const settings = await partOf(out, SETTINGS);
    expect(settings.match(/Provider=Microsoft\.ACE\.OLEDB\.12\.0;User ID=;Data Source=contacts\.xlsx;Mode=Read;/g)).toHaveLength(2);
    expect(settings).toContain("System database=&quot;System.mdw&quot;;Jet OLEDB:Database Password=;");
    expect(settings).toContain('<w:query w:val="SELECT * FROM `contacts.xlsx`.`Sheet1$` "/>');
    expect(settings).toContain('<w:table w:val="Sheet1$"/>');
    expect((await partOf(out, SETTINGS_RELS)).match(/Target="contacts\.xlsx" TargetMode="External"/g)).toHaveLength(2);

    const text = await textOf(source);
    expect(text).toContain("your order has shipped");
    expect(await textOf(out)).toBe(text);
  }, 120_000);
});
