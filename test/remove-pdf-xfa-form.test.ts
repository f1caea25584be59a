import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PDF_TEXT, pdfContent, streamObject, textPagePdf } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * An XFA form (Adobe's XML forms, the catalog's /AcroForm /XFA: an array of packet names and
 * streams) went back as it was, its `xmpmeta` packet with it: an XMP copy of the document's
 * metadata, the author among it. That packet goes now. And a form whose packets are typed as
 * embedded files (Apache Tika's testPDF_XFA_govdocs1_258578.pdf) was refused as a PDF holding
 * attached files that cannot be cleaned: the packets are the form, not attachments.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-xfa-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A one-page PDF with an XFA form of five packets (objects 7 to 11), the XMP one naming `marker`; `packetType` types every packet stream. */
function xfaPdf(marker: string, data: string, packetType = ""): Buffer {
  const packets: Array<[string, string]> = [
    ["preamble", '<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">'],
    ["template", '<template xmlns="http://www.xfa.org/schema/xfa-template/2.5/"><subform name="form1"><field name="School"/></subform></template>'],
    ["datasets", `<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data><form1><School>${data}</School></form1></xfa:data></xfa:datasets>`],
    ["xmpmeta", `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>${marker}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`],
    ["postamble", "</xdp:xdp>"],
  ];
  const xfa = packets.map(([name], i) => `(${name}) ${7 + i} 0 R`).join(" ");
  return textPagePdf({
    catalog: "/AcroForm 6 0 R ",
    more: [`<< /Fields [] /XFA [${xfa}] >>`, ...packets.map(([, xml]) => streamObject(packetType, xml, true))],
  });
}

/** The packet names of the copy's XFA form, as qpdf reads its AcroForm dictionary. */
async function packetNames(file: string): Promise<string[]> {
  const json = JSON.parse((await run("qpdf", ["--json=2", "--json-key=qpdf", file])).stdout.toString("utf8")) as { qpdf: [unknown, Record<string, { value?: Record<string, unknown> }>] };
  const form = Object.values(json.qpdf[1]).find((o) => o.value?.["/XFA"] != null);
  return (form!.value!["/XFA"] as string[]).filter((_, i) => i % 2 === 0).map((v) => v.replace(/^u:/, ""));
}

describe("POST /api/v1/remove on a PDF with an XFA form", () => {
  it("the form's XMP packet goes, its author with it; the template, the filled-in data and the page stay", async () => {
    const marker = `XfaAuthor${crypto.randomBytes(5).toString("hex")}`;
    const data = `Lincoln High ${crypto.randomBytes(3).toString("hex")}`;
    const file = await savedIn(dir, "form.pdf", xfaPdf(marker, data));
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const copy = await savedIn(dir, "form-cleaned.pdf", cleaned!);
    expect(await packetNames(copy)).toEqual(["preamble", "template", "datasets", "postamble"]);
    expect(await findMarker(cleaned!, data)).not.toEqual([]);
    expect((await pdfContent(copy)).text).toContain(PDF_TEXT);
  }, 60_000);

  it("a form whose packets are typed as embedded files is cleaned, not refused as holding attachments", async () => {
    const marker = `XfaTyped${crypto.randomBytes(5).toString("hex")}`;
    const file = await savedIn(dir, "typed.pdf", xfaPdf(marker, "Room 12", "/Type /EmbeddedFile"));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await packetNames(await savedIn(dir, "typed-cleaned.pdf", cleaned!))).toEqual(["preamble", "template", "datasets", "postamble"]);
  }, 60_000);
});
