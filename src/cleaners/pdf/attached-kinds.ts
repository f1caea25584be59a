import fsp from "node:fs/promises";
import type { PdfDict } from "./scrub-objects.js";

/*
 * Two kinds of attached file no cleaner handles, and what a careful user expects of each:
 *
 * - An electronic invoice (ZUGFeRD / Factur-X / XRechnung / Order-X: a PDF/A-3 with the invoice
 *   as XML attached) is the document's data, not metadata about it: the XML is the legally
 *   binding invoice, and the tax office, the customer's accounting software and validators read
 *   it, not the page. Any change to it, even to a comment or to whitespace, can break it or make
 *   it differ from the copy the seller archived. The names, addresses and accounts it holds are
 *   the invoice's parties, which the page shows too. So it is kept byte for byte, and the answer
 *   lists it under `remaining.attachments` (name -> what it is) so that the client knows a file
 *   came through unchanged. Recognised by its root element's namespace, whatever it is called.
 *
 * - A C2PA manifest store (Content Credentials: application/c2pa, a JUMBF box labelled "c2pa";
 *   in a PDF attached with /AFRelationship /C2PA_Manifest) is provenance metadata: the claim
 *   generator (tools and versions), the signer's certificate (a person's or an organisation's
 *   name), the edit history, thumbnails of earlier versions. It identifies people and tools, and
 *   it cannot stay valid anyway (it signs the original bytes). It goes, counted under
 *   `removed.provenance`, its file specification with it.
 */

/** The root namespaces of the invoice (and order) XML that e-invoicing PDFs carry. */
const E_INVOICE_NAMESPACES: ReadonlySet<string> = new Set([
  // UN/CEFACT Cross Industry Invoice: ZUGFeRD 2, Factur-X, XRechnung (CII syntax).
  "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
  // ZUGFeRD 1.
  "urn:ferd:CrossIndustryDocument:invoice:1p0",
  // OASIS UBL invoice and credit note: XRechnung (UBL syntax), Peppol.
  "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
  "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
  // Order-X, Factur-X's sibling for orders.
  "urn:un:unece:uncefact:data:standard:SCRDMCCBDACIOMessageStructure:100",
]);

/** How much of a file is read to find its root element: past any real prolog. */
const HEAD_BYTES = 64 * 1024;

/**
 * The root element after an XML declaration, comments and processing instructions (a document
 * type declaration is no part of an e-invoice: such a file is not recognised).
 */
const ROOT = /^(?:\s|<\?[^]*?\?>|<!--[^]*?-->)*<(?:([A-Za-z_][\w.-]*):)?[A-Za-z_][\w.-]*(\s[^>]*)?\/?>/;

/** What the answer's `remaining.attachments` says of an e-invoice, under its file name. */
export const E_INVOICE = "electronic invoice (XML), kept unchanged";

/** True when the file is an e-invoice's XML: its root element is in one of their namespaces. */
export async function isEInvoice(file: string): Promise<boolean> {
  const handle = await fsp.open(file, "r");
  let head: string;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    head = buf.subarray(0, bytesRead).toString("utf8").replace(/^\uFEFF/, "");
  } finally {
    await handle.close();
  }
  const root = ROOT.exec(head);
  if (root == null) return false;
  const prefix = root[1];
  const attrs = root[2] ?? "";
  const declaration = new RegExp(`\\sxmlns${prefix != null ? `:${prefix}` : ""}\\s*=\\s*(["'])(.*?)\\1`).exec(attrs);
  return declaration != null && E_INVOICE_NAMESPACES.has(declaration[2]!);
}

const C2PA_TYPES: ReadonlySet<string> = new Set(["/application/c2pa", "/application/x-c2pa-manifest-store"]);

/**
 * A C2PA manifest store: by how it is attached (its file specification's relationship, the
 * stream's MIME type) or by its bytes (a JUMBF superbox whose description box is labelled c2pa).
 */
export async function isC2paManifest(stream: PdfDict, specs: readonly PdfDict[], file: string | null): Promise<boolean> {
  if (specs.some((s) => s["/AFRelationship"] === "/C2PA_Manifest")) return true;
  if (typeof stream["/Subtype"] === "string" && C2PA_TYPES.has(stream["/Subtype"].toLowerCase())) return true;
  if (file == null) return false;
  const handle = await fsp.open(file, "r");
  try {
    const box = Buffer.alloc(20);
    const { bytesRead } = await handle.read(box, 0, 20, 0);
    return bytesRead === 20 && box.toString("latin1", 4, 8) === "jumb" && box.toString("latin1", 12, 16) === "jumd" && box.toString("latin1", 16, 20) === "c2pa";
  } finally {
    await handle.close();
  }
}
