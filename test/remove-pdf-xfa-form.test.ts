import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PDF_TEXT, pdfContent, streamObject, textPagePdf } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * An XFA form (Adobe's XML forms, the catalog's /AcroForm /XFA: an array of packet names and
 * streams) went back as it was, its `xmpmeta` packet with it: an XMP copy of the document's
 * metadata, the author among it, and so did its other metadata: the XDP root's id and date, the
 * config's creator and producer, the template's form properties (author, contact...), Designer's
 * instructions and comments, its data connections' user name, password and the designer's folders
 * (also where one stream holds the whole form). These go now. And a form whose packets are typed as
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

/**
 * A one-page PDF with an XFA form of six packets (objects 7 to 12), `marker` in its metadata:
 * the XDP root's id, the config's creator and producer, the template's Designer instruction,
 * comment and form properties (`desc`), the XMP packet; `packetType` types every packet stream.
 * The template uses a prefix only the XDP root declares, as packets may, and holds a script with
 * "<!--" in its text; the first packet is
 * named as Apache Tika's testPDF_XFA_govdocs1_258578.pdf names it.
 */
function xfaPdf(marker: string, data: string, packetType = "", more: Array<[string, string]> = []): Buffer {
  const packets = xfaPackets(marker, data);
  packets.splice(-1, 0, ...more);
  return formPdf(packets, packetType);
}

/** A one-page PDF whose XFA form is `packets` (objects 7 on), each stream typed `packetType`. */
function formPdf(packets: ReadonlyArray<[string, string]>, packetType = ""): Buffer {
  const xfa = packets.map(([name], i) => `(${name}) ${7 + i} 0 R`).join(" ");
  return textPagePdf({
    catalog: "/AcroForm 6 0 R ",
    more: [`<< /Fields [] /XFA [${xfa}] >>`, ...packets.map(([, xml]) => streamObject(packetType, xml, true))],
  });
}

function xfaPackets(marker: string, data: string): Array<[string, string]> {
  return [
    ["xdp:xdp", `<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/" xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/" timeStamp="2024-05-01T09:30:00Z" uuid="${marker}-uuid">`],
    ["config", `<config xmlns="http://www.xfa.org/schema/xci/1.0/"><present><pdf><version>1.7</version><creator\n>${marker} Designer</creator\n><producer>${marker} Forms</producer></pdf></present></config>`],
    ["template", `<template xmlns="http://www.xfa.org/schema/xfa-template/2.5/"><?templateDesigner Grid ${marker}?><!-- ${marker} note --><subform name="form1" xfa:dataNode="dataGroup"><field name="School"/><event activity="initialize"><script contentType="application/x-javascript"><![CDATA[// <!-- kept from an old page\nvar ready = true;]]></script></event><desc><text name="Author">${marker}</text><text name="Contact">${marker}@example.com</text></desc></subform></template>`],
    ["datasets", `<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data><form1><School>${data}</School></form1></xfa:data></xfa:datasets>`],
    ["xmpmeta", `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>${marker}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`],
    ["postamble", "</xdp:xdp>"],
  ];
}

/**
 * The data connections of a form whose designer bound it to a schema on their disk and to an ODBC
 * database, the user name and password saved with it; `marker` is that user.
 */
function connectionPackets(marker: string): Array<[string, string]> {
  return [
    ["connectionSet", `<connectionSet xmlns="http://www.xfa.org/schema/xfa-connection-set/2.8/"><xsdConnection name="Orders"><uri>C:\\Users\\${marker}\\Desktop\\order.xsd</uri><rootElement>order</rootElement></xsdConnection><wsdlConnection name="Lookup"><wsdlAddress>https://forms.example.com/lookup?wsdl</wsdlAddress></wsdlConnection></connectionSet>`],
    ["sourceSet", `<sourceSet xmlns="http://www.xfa.org/schema/xfa-source-set/2.8/"><source name="Stock" db="ado"><connect><connectString>Provider=MSDASQL.1;Persist Security Info=True;User ID=${marker};Password=${marker}Pw;Data Source=StockDb</connectString><user>${marker}</user><password>${marker}Pw</password></connect></source></sourceSet>`],
  ];
}

/** What of the connections must stay: where the data is, and the schema's file name. */
const CONNECTION_KEPT = ["Data Source=StockDb", "<uri>order.xsd</uri>", "https://forms.example.com/lookup?wsdl"];

/**
 * The same form as `xfaPdf`, and its data connections, held as the designers of older forms write
 * it: one stream holding the whole XDP document instead of an array of packets.
 */
function wholeXdpPdf(marker: string, data: string): Buffer {
  const packets = xfaPackets(marker, data).slice(1, -1).map(([, xml]) => xml);
  const [connectionSet, sourceSet] = connectionPackets(marker).map(([, xml]) => xml);
  const xdp = `<?xml version="1.0" encoding="UTF-8"?>\n<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/" xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/" timeStamp="2024-05-01T09:30:00Z" uuid="${marker}-uuid"><!-- ${marker} at the root -->${packets.join("")}${connectionSet}${sourceSet}</xdp:xdp>`;
  return textPagePdf({ catalog: "/AcroForm 6 0 R ", more: ["<< /Fields [] /XFA 7 0 R >>", streamObject("", xdp, true)] });
}

/** The packet names of the copy's XFA form, as qpdf reads its AcroForm dictionary. */
async function packetNames(file: string): Promise<string[]> {
  const json = JSON.parse((await run("qpdf", ["--json=2", "--json-key=qpdf", file])).stdout.toString("utf8")) as { qpdf: [unknown, Record<string, { value?: Record<string, unknown> }>] };
  const form = Object.values(json.qpdf[1]).find((o) => o.value?.["/XFA"] != null);
  return (form!.value!["/XFA"] as string[]).filter((_, i) => i % 2 === 0).map((v) => v.replace(/^u:/, ""));
}

describe("POST /api/v1/remove on a PDF with an XFA form", () => {
  it("the form's XMP packet goes, and its id, its creator and producer, its form properties (author, contact) and Designer's notes; the fields, the filled-in data and the page stay", async () => {
    const marker = `XfaAuthor${crypto.randomBytes(5).toString("hex")}`;
    const data = `Lincoln High ${crypto.randomBytes(3).toString("hex")}`;
    const file = await savedIn(dir, "form.pdf", xfaPdf(marker, data));
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const copy = await savedIn(dir, "form-cleaned.pdf", cleaned!);
    expect(await packetNames(copy)).toEqual(["xdp:xdp", "config", "template", "datasets", "postamble"]);
    expect(await findMarker(cleaned!, data)).not.toEqual([]);
    expect(await findMarker(cleaned!, '<field name="School"/>')).not.toEqual([]);
    // A script's "<!--" (inside CDATA) is no comment: it stays, and the copy is not refused for it.
    expect(await findMarker(cleaned!, "<!-- kept from an old page")).not.toEqual([]);
    expect((await pdfContent(copy)).text).toContain(PDF_TEXT);
  }, 60_000);

  it("the findings name the form's XMP copy of the metadata (which ExifTool does not read), and no longer in the cleaned copy", async () => {
    const marker = `XfaFound${crypto.randomBytes(5).toString("hex")}`;
    const file = await savedIn(dir, "found.pdf", xfaPdf(marker, "Room 3"));
    const xmpFinding = async (bytes: Buffer): Promise<unknown> => (await findingsViaApi(server, "form.pdf", bytes)).find((f) => f.kind === "hidden" && /XFA/.test(f.title));
    expect(await xmpFinding(await fs.readFile(file))).toMatchObject({ severity: "medium", value: "xdp:xdp; config; template; datasets; xmpmeta; postamble" });
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["findings"] as Array<{ title: string }>).some((f) => /XFA/.test(f.title))).toBe(true);
    expect(await xmpFinding(cleaned!)).toBeUndefined();
  }, 60_000);

  it("a form whose template, holding form properties, is not well-formed XML: refused in words that name the form, nothing handed back", async () => {
    const marker = `XfaBroken${crypto.randomBytes(5).toString("hex")}`;
    // A start tag that no end tag closes.
    const packets = xfaPackets(marker, "Room 9").map(([name, xml]): [string, string] => [name, name === "template" ? xml.replace("<subform ", "<subform><subform ") : xml]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "broken.pdf", formPdf(packets)));
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The PDF's XFA form is damaged: its XML cannot be read, so its metadata cannot be removed.");
    expect(cleaned).toBeNull();
  }, 60_000);

  it("a form whose packets are typed as embedded files is cleaned, not refused as holding attachments", async () => {
    const marker = `XfaTyped${crypto.randomBytes(5).toString("hex")}`;
    const file = await savedIn(dir, "typed.pdf", xfaPdf(marker, "Room 12", "/Type /EmbeddedFile"));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await packetNames(await savedIn(dir, "typed-cleaned.pdf", cleaned!))).toEqual(["xdp:xdp", "config", "template", "datasets", "postamble"]);
  }, 60_000);

  it("its data connections keep where the data is, but lose the designer's user name, password and folders", async () => {
    const marker = `XfaUser${crypto.randomBytes(5).toString("hex")}`;
    const file = await savedIn(dir, "connections.pdf", xfaPdf(marker, "Room 7", "", connectionPackets(marker)));
    expect(await findMarker(file, marker)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    for (const kept of CONNECTION_KEPT) expect(await findMarker(cleaned!, kept), kept).not.toEqual([]);
    expect(await packetNames(await savedIn(dir, "connections-cleaned.pdf", cleaned!))).toEqual(["xdp:xdp", "config", "template", "datasets", "connectionSet", "sourceSet", "postamble"]);
  }, 60_000);

  it("a form held as one XDP stream is cleaned as its packets are: the XMP packet, the ids, the form properties, the comments and the connections' credentials go; the fields and data stay", async () => {
    const marker = `XfaWhole${crypto.randomBytes(5).toString("hex")}`;
    const data = `Lincoln High ${crypto.randomBytes(3).toString("hex")}`;
    const file = await savedIn(dir, "whole.pdf", wholeXdpPdf(marker, data));
    expect(await findMarker(file, marker)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await findMarker(cleaned!, data)).not.toEqual([]);
    expect(await findMarker(cleaned!, '<field name="School"/>')).not.toEqual([]);
    expect(await findMarker(cleaned!, "<!-- kept from an old page")).not.toEqual([]);
    for (const kept of CONNECTION_KEPT) expect(await findMarker(cleaned!, kept), kept).not.toEqual([]);
    expect((await pdfContent(await savedIn(dir, "whole-cleaned.pdf", cleaned!))).text).toContain(PDF_TEXT);
  }, 60_000);
});
