import fsp from "node:fs/promises";
import zlib from "node:zlib";
import { isDict, isRef, objectKey, type ObjectView } from "./object-view.js";
import type { QpdfDocument } from "./scrub-objects.js";

/**
 * An e-invoice PDF (ZUGFeRD, Factur-X, XRechnung, Order-X) is a PDF/A-3 whose XMP says what it
 * is: the PDF/A part and conformance (pdfaid), and the attached invoice's kind, file name,
 * version and profile (the fx/zf namespace, described by a PDF/A extension schema). Receivers
 * and validators read these to find and accept the invoice: without them the hybrid invoice is
 * rejected although its XML came through. So when an e-invoice stays attached, the clean PDF gets
 * a new XMP packet holding only those fields, each copied only when it is one of the values the
 * specifications define (never free text); nothing else of the original packet (creator, tool,
 * dates, document ids) survives, and the extension schema is written from our own template.
 */

/** The invoice namespaces, and the prefix their specifications use. */
const INVOICE_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ["urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#", "fx"],
  ["urn:factur-x:pdfa:CrossIndustryDocument:1p0#", "fx"],
  ["urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#", "fx"],
  ["urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#", "zf"],
]);

/** What each declared field may hold (the values the ZUGFeRD/Factur-X specifications define). */
const FIELDS: ReadonlyArray<[name: string, allowed: RegExp, description: string]> = [
  ["DocumentType", /^(INVOICE|ORDER|ORDER_RESPONSE|ORDER_CHANGE)$/, "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"],
  ["DocumentFileName", /^(factur-x|zugferd-invoice|ZUGFeRD-invoice|xrechnung|order-x)\.xml$/i, "The name of the embedded XML document"],
  ["Version", /^\d{1,2}(\.\d{1,2}|p\d{1,2})$/, "The actual version of the standard applying to the embedded XML document"],
  ["ConformanceLevel", /^(MINIMUM|BASIC WL|BASIC|EN 16931|COMFORT|EXTENDED|XRECHNUNG)$/i, "The conformance level of the embedded XML document"],
];

/** An XMP packet is a few KB; a larger one is not read for this. */
const MAX_XMP_BYTES = 1024 * 1024;

/**
 * Gives the catalog a new XMP packet with the original's e-invoice declaration, when it had one.
 * `doc` is the original dump (its streams' data as stored, in files).
 */
export async function keepInvoiceDeclaration(doc: QpdfDocument, view: ObjectView): Promise<void> {
  const xmp = await originalXmp(doc, view);
  if (xmp == null) return;
  const packet = declarationPacket(xmp);
  if (packet == null) return;
  const catalogKey = view.catalogKey();
  const catalog = catalogKey == null ? undefined : view.dictOrValue(catalogKey);
  if (catalogKey == null || !isDict(catalog)) return;
  const ref = `${nextObjectNumber(doc, view)} 0 R`;
  view.changes[objectKey(ref)] = { stream: { dict: { "/Type": "/Metadata", "/Subtype": "/XML" }, data: Buffer.from(packet, "utf8").toString("base64") } };
  view.setValue(catalogKey, { ...catalog, "/Metadata": ref });
}

async function originalXmp(doc: QpdfDocument, view: ObjectView): Promise<string | null> {
  const catalogKey = view.catalogKey();
  const original = catalogKey == null ? undefined : doc.qpdf[1][catalogKey];
  const catalog = original == null ? undefined : "value" in original ? original.value : original.stream.dict;
  const ref = isDict(catalog) ? catalog["/Metadata"] : undefined;
  const stream = isRef(ref) ? doc.qpdf[1][objectKey(ref)] : undefined;
  if (stream == null || !("stream" in stream) || stream.stream.datafile == null) return null;
  const { size } = await fsp.stat(stream.stream.datafile);
  if (size > MAX_XMP_BYTES) return null;
  const stored = await fsp.readFile(stream.stream.datafile);
  const filter = stream.stream.dict["/Filter"];
  if (filter == null) return stored.toString("utf8");
  if (filter !== "/FlateDecode" && !(Array.isArray(filter) && filter.length === 1 && filter[0] === "/FlateDecode")) return null;
  try {
    return zlib.inflateSync(stored, { maxOutputLength: MAX_XMP_BYTES }).toString("utf8");
  } catch {
    return null;
  }
}

/** The new packet, or null when the original declares no e-invoice. */
export function declarationPacket(xmp: string): string | null {
  let namespace: string | null = null;
  let found: string | null = null;
  for (const m of xmp.matchAll(/xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']*)["']/g)) {
    if (INVOICE_NAMESPACES.has(m[2]!)) {
      found = m[1]!;
      namespace = m[2]!;
      break;
    }
  }
  if (namespace == null || found == null) return null;
  const prefix = INVOICE_NAMESPACES.get(namespace)!;
  const fields = FIELDS.flatMap(([name, allowed, description]) => {
    const value = property(xmp, found, name);
    return value != null && allowed.test(value) ? [{ name, value, description }] : [];
  });
  if (!fields.some((f) => f.name === "DocumentFileName")) return null;

  const part = property(xmp, "pdfaid", "part");
  const conformance = property(xmp, "pdfaid", "conformance");
  const pdfa = part != null && /^[1-4]$/.test(part) && conformance != null && /^[ABUEF]$/.test(conformance) ? `<pdfaid:part>${part}</pdfaid:part><pdfaid:conformance>${conformance}</pdfaid:conformance>` : "";
  const values = fields.map((f) => `<${prefix}:${f.name}>${f.value}</${prefix}:${f.name}>`).join("");
  const schema = fields
    .map(
      (f) =>
        `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>${f.name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>` +
        `<pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>${f.description}</pdfaProperty:description></rdf:li>`,
    )
    .join("");
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">${pdfa}</rdf:Description>` +
    `<rdf:Description rdf:about="" xmlns:${prefix}="${namespace}">${values}</rdf:Description>` +
    '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">' +
    '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource"><pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>' +
    `<pdfaSchema:namespaceURI>${namespace}</pdfaSchema:namespaceURI><pdfaSchema:prefix>${prefix}</pdfaSchema:prefix>` +
    `<pdfaSchema:property><rdf:Seq>${schema}</rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>` +
    '</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
  );
}

/** A simple property's value, written as an element or as an attribute. */
function property(xmp: string, prefix: string, name: string): string | null {
  const element = new RegExp(`<${prefix}:${name}>\\s*([^<]*?)\\s*</${prefix}:${name}>`).exec(xmp);
  const attribute = new RegExp(`\\s${prefix}:${name}\\s*=\\s*["']([^"']*)["']`).exec(xmp);
  return (element ?? attribute)?.[1] ?? null;
}

function nextObjectNumber(doc: QpdfDocument, view: ObjectView): number {
  let max = 0;
  for (const key of [...Object.keys(doc.qpdf[1]), ...Object.keys(view.changes)]) {
    const m = /^obj:(\d+) \d+ R$/.exec(key);
    if (m != null) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}
