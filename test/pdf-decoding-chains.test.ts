import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ascii85, PDF_TEXT, pdfContent, textPagePdf } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { TOO_COMPLEX } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A PDF's coded XML streams are looked into before ExifTool reads them (their namespaces are
 * counted, pdf-xmp-screen.ts) through lists of up to four decoding filters, as ExifTool undoes a
 * list of any length: a fifth layer hid a namespace flood from the count. A PDF whose dictionaries
 * name a longer list of decoding filters is refused as too complex now, whatever the stream (real
 * files name one or two); one of four is still read and cleaned.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Pdfchain${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-decoding-chains-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const XMP = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>${MARKER}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

/** How each filter named here is coded. */
const ENCODERS: Record<string, (data: Buffer) => Buffer> = { FlateDecode: (data) => zlib.deflateSync(data), ASCII85Decode: ascii85, Identity: (data) => data };

/** `data` coded so that undoing `names` in their order (a name's `#xx` escapes decoded) gives it back. */
function coded(names: readonly string[], data: Buffer): Buffer {
  return names.reduceRight((d, name) => ENCODERS[name.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))]!(d), data);
}

/** A one-page text PDF, the marker in its Info and in its XMP, which is stored behind `filter` as `encode` codes it. */
function markedPdf(filter: string, encode: (data: Buffer) => Buffer): Buffer {
  const xmp = encode(Buffer.from(XMP, "utf8")).toString("latin1");
  return textPagePdf({
    catalog: "/Metadata 6 0 R ",
    more: [`<< /Type /Metadata /Subtype /XML ${filter} /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`],
    trailer: `/Info << /Author (${MARKER}) >>`,
  });
}

async function written(name: string, data: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  return file;
}

describe("a PDF's lists of decoding filters", () => {
  it("four layers on its XMP: removed to a clean PDF, same text and pages", async () => {
    const plain = await written("plain.pdf", markedPdf("", (xml) => xml));
    const names = ["ASCII85Decode", "FlateDecode", "ASCII85Decode", "FlateDecode"];
    const file = await written("four-layers.pdf", markedPdf(`/Filter [/${names.join(" /")}]`, (xml) => coded(names, xml)));
    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ pdf: expect.any(Number), xmp: expect.any(Number) });
    const out = await written("cleaned-four-layers.pdf", cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const content = await pdfContent(out);
    expect(content.text).toContain(PDF_TEXT);
    expect(content).toEqual(await pdfContent(plain));
  }, 60_000);

  it.each([
    ["six layers on its XMP", "/Filter [/ASCII85Decode /FlateDecode /ASCII85Decode /FlateDecode /ASCII85Decode /FlateDecode]"],
    ["five, spelt with escapes and comments between them", "/Filter [/Fl#61teDecode%one\n/ASCII85Decode /Identity /FlateDecode\r/ASCII85Decode/FlateDecode]"],
  ])("%s: refused as too complex (a fifth layer hid XML from the screen's count)", async (_, filter) => {
    const names = [...filter.matchAll(/\/([^\s/%\]]+)/g)].map((m) => m[1]!).slice(1);
    const file = await written("long-list.pdf", markedPdf(filter, (xml) => coded(names, xml)));
    const { status, body } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe(TOO_COMPLEX);
  }, 60_000);
});
