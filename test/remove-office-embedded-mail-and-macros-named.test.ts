import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oleObjectFile, withOleObjects } from "./helpers/make-ole-objects.js";
import { makeOffice, VBA_PROJECT, withRelated, zip } from "./helpers/make-office.js";
import { markedJpeg } from "./helpers/make-pdf.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-mail-macros-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A compound file holding `streams` (paths from its root). */
function compoundFile(streams: Record<string, Buffer>): Buffer {
  const doc = CFB.utils.cfb_new();
  for (const [name, content] of Object.entries(streams)) CFB.utils.cfb_add(doc, `/${name}`, content);
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}

describe("POST /api/v1/remove on a DOCX holding an Outlook message (an e-mail packaged in the document)", () => {
  // Tika's EmbeddedOutlook.docx: the 422 named a FlashPix image ('licensedTestMsgwAtt.msg (FPX)').
  it("is a 422 naming the message as one", async () => {
    // [MS-OXMSG]: the message's property stream and its subject, a string property.
    const msg = compoundFile({
      "__properties_version1.0": Buffer.alloc(32),
      "__substg1.0_0037001F": Buffer.from("Quarterly figures", "utf16le"),
      "__nameid_version1.0/__substg1.0_00020102": Buffer.alloc(16),
    });
    const docx = await makeOffice("docx", `Mail${crypto.randomBytes(5).toString("hex")}`, await markedJpeg(dir, "picture"));
    const object = oleObjectFile({ kind: "packaged", name: "figures.msg", sourcePath: "C:\\Users\\someone\\figures.msg", data: msg });
    const file = await savedIn(dir, "mail.docx", await withOleObjects(docx.bytes, "word", [object]));
    const { status, body } = await removeViaApi(server, file, "mail.docx");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The document holds an embedded file that cannot be cleaned: figures.msg (Outlook message).");
  }, 60_000);
});

describe("POST /api/v1/remove on a presentation whose macros are a VBA project of their own (vbaProject.bin)", () => {
  // Tika's testPPT_macros.pptm (and .ppt, whose macros are an object record): the 422 named a FlashPix image.
  it("is a 422 saying it holds macros", async () => {
    const vba = compoundFile({ "VBA/dir": Buffer.alloc(64, 1), "VBA/_VBA_PROJECT": Buffer.from([0xcc, 0x61, 0xff, 0xff, 0]), PROJECT: Buffer.from('ID="{00000000-0000-0000-0000-000000000000}"\r\nName="VBAProject"\r\n'), PROJECTwm: Buffer.from("VBAProject\0") });
    const pptx = await makeOffice("pptx", `Macros${crypto.randomBytes(5).toString("hex")}`, await markedJpeg(dir, "picture"));
    const { members } = await readZip(pptx.bytes);
    const file = await savedIn(dir, "slides.pptx", await zip(withRelated(members.map((m): [string, Buffer] => [m.name, m.data]), [["ppt/vbaProject.bin", vba, VBA_PROJECT]])));
    const { status, body } = await removeViaApi(server, file, "slides.pptx");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe(
      "The document holds macros (a VBA project), which carry their author's name and folder paths; they cannot be removed without changing what the document does.",
    );
  }, 60_000);
});
