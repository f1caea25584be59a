import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { XMLSerializer, type Document } from "@xmldom/xmldom";
import { TooComplexError } from "../errors.js";
import { elements, parseXml, removeComments, removeInstructions, removeNode } from "../office/xml.js";
import { isDict, isRef, objectKey, pdfText, type ObjectView } from "./object-view.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";

/** The packet of an XFA form that is an XMP copy of the document's metadata ([XFA] 3.3, "xmpmeta"). */
const XMP_PACKET = "xmpmeta";

/**
 * An XFA form (the catalog's /AcroForm /XFA) split into packets: an array of names and streams,
 * each stream one XML packet of the XDP document (preamble, config, template, datasets, form...,
 * postamble). `holder` is the object the array is written in: the AcroForm dictionary's, or the
 * array's own when it is an indirect object. Null when the form has no XFA, or one stream holds
 * the whole XDP document.
 */
function xfaPackets(view: ObjectView): { holder: string; packets: PdfJson[] } | null {
  const catalogKey = view.catalogKey();
  const catalog = catalogKey == null ? undefined : view.dictOrValue(catalogKey);
  const formRef = isDict(catalog) ? catalog["/AcroForm"] : undefined;
  const form = view.resolve(formRef);
  if (!isDict(form)) return null;
  const xfa = form["/XFA"];
  if (Array.isArray(xfa)) return { holder: isRef(formRef) ? objectKey(formRef) : catalogKey!, packets: xfa };
  if (isRef(xfa)) {
    const packets = view.dictOrValue(objectKey(xfa));
    if (Array.isArray(packets)) return { holder: objectKey(xfa), packets };
  }
  return null;
}

/** The stream references of an XFA form's packets (the streams are the form, not attached files). */
export function xfaPacketStreams(view: ObjectView): Set<string> {
  const found = xfaPackets(view);
  return new Set((found?.packets ?? []).filter((v, i) => i % 2 === 1 && isRef(v)) as string[]);
}

/** Whether the XFA form still holds its XMP packet. */
export function holdsXfaXmp(view: ObjectView): boolean {
  const found = xfaPackets(view);
  return found != null && found.packets.some((v, i) => i % 2 === 0 && pdfText(v) === XMP_PACKET);
}

/**
 * Takes the XMP packet out of an XFA form ([XFA] 3.3: the `xmpmeta` packet, an XMP copy of the
 * document's metadata that Adobe's form designers write: author, creator tool, dates, document
 * ids), with its name in the form's array of packets. No reader needs it to show or fill the
 * form. Resolves to whether it was there.
 */
export function dropXfaXmp(view: ObjectView): boolean {
  const found = xfaPackets(view);
  if (found == null || !holdsXfaXmp(view)) return false;
  const kept: PdfJson[] = [];
  for (let i = 0; i + 1 < found.packets.length; i += 2) {
    if (pdfText(found.packets[i]) !== XMP_PACKET) kept.push(found.packets[i]!, found.packets[i + 1]!);
  }
  const holder = view.dictOrValue(found.holder);
  if (Array.isArray(holder)) view.setValue(found.holder, kept);
  else if (isDict(holder)) {
    if (holder["/XFA"] !== undefined && Array.isArray(holder["/XFA"])) view.setValue(found.holder, { ...holder, "/XFA": kept });
    else if (isDict(holder["/AcroForm"])) view.setValue(found.holder, { ...holder, "/AcroForm": { ...holder["/AcroForm"], "/XFA": kept } });
  }
  return true;
}

/** An XFA packet inflated larger than this is not read (real templates are a few megabytes). */
const MAX_PACKET = 64 << 20;

/** The XDP root's attributes that identify and date the form (the preamble packet's start tag). */
const XDP_IDS = /\s(?:uuid|timeStamp)\s*=\s*(?:"[^"]*"|'[^']*')/g;

const XDP_ROOT = { left: /\s(?:uuid|timeStamp)\s*=/, xml: false, clean: (text: string): string => text.replace(XDP_IDS, "") };

/**
 * What stays metadata in an XFA form's packets, and how it is found again in the copy (by text,
 * apart from the edit below):
 * - `preamble` (or `xdp:xdp`, as some designers name it): the XDP root's `uuid` and `timeStamp`;
 * - `template`: the `desc` elements (Designer's form properties: author, title, contact,
 *   department, version...), Designer's `<?templateDesigner ...?>` instructions and comments;
 * - `config`: the `creator` and `producer` a form processor writes into the Info dictionary, and comments.
 */
const PACKET_RULES: Readonly<Record<string, { left: RegExp; xml: boolean; clean(text: string, name: string, scope: string): string }>> = {
  preamble: XDP_ROOT,
  "xdp:xdp": XDP_ROOT,
  template: { left: /<(?:[\w.-]+:)?desc[\s/>]|<\?templateDesigner/, xml: true, clean: (text, name, scope) => withoutNodes(text, name, scope, ["desc"], "templateDesigner") },
  config: { left: /<(?:[\w.-]+:)?(?:creator|producer)[\s/>]/, xml: true, clean: (text, name, scope) => withoutNodes(text, name, scope, ["creator", "producer"], null) },
};

/**
 * A comment's start sends an XML packet to the edit, but the copy is not searched for it: a
 * script's text may hold one inside CDATA (`<!-- hide`), and that is no comment.
 */
const COMMENT = /<!--/;

/** An XML declaration opening a packet, and the namespace declarations of an element's start tag. */
const XML_DECLARATION = /^\s*<\?xml\s[^?]*\?>/;
const NAMESPACES = /\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')/g;

/**
 * `text` (a whole XML packet) without the elements named `names`, the instructions of `target`
 * and the comments. A packet may use prefixes the XDP root declares (in the preamble, `scope`):
 * it is read inside an element declaring them, and written back without it.
 */
function withoutNodes(text: string, name: string, scope: string, names: readonly string[], target: string | null): string {
  const declaration = XML_DECLARATION.exec(text)?.[0] ?? "";
  const namespaces = (scope.match(NAMESPACES) ?? []).join("");
  const doc: Document = parseXml(Buffer.from(`<packet${namespaces}>${text.slice(declaration.length)}</packet>`, "utf8"), `the XFA form's ${name} packet`);
  removeComments(doc);
  const wrapper = doc.documentElement!;
  for (const el of elements(wrapper)) if (el !== wrapper && names.includes(el.localName ?? "")) removeNode(el);
  if (target != null) removeInstructions(doc, target);
  const serializer = new XMLSerializer();
  let out = declaration;
  for (let c = wrapper.firstChild; c != null; c = c.nextSibling) out += serializer.serializeToString(c);
  return out;
}

/**
 * A packet stream's XML text: stored as it is, or behind Flate alone (as form designers write
 * them). Null for other filters: such a packet is left as it is.
 */
async function packetText(dict: PdfDict, datafile: string | undefined): Promise<string | null> {
  const filter = Array.isArray(dict["/Filter"]) && dict["/Filter"].length === 1 ? dict["/Filter"][0] : dict["/Filter"];
  if (dict["/DecodeParms"] != null || (filter != null && filter !== "/FlateDecode")) return null;
  const stored = datafile == null ? Buffer.alloc(0) : await fsp.readFile(datafile);
  if (filter == null) return stored.toString("utf8");
  try {
    return zlib.inflateSync(stored, { maxOutputLength: MAX_PACKET }).toString("utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new TooComplexError(`an XFA packet inflates past ${MAX_PACKET} bytes`);
    return null;
  }
}

/** Each packet of the form that PACKET_RULES know, with its stream's key and text (null: a filter not read here). */
async function* knownPackets(view: ObjectView): AsyncGenerator<{ name: string; key: string; dict: PdfDict; text: string | null }> {
  const found = xfaPackets(view);
  for (let i = 0; i + 1 < (found?.packets.length ?? 0); i += 2) {
    const name = pdfText(found!.packets[i]);
    const ref = found!.packets[i + 1];
    if (name == null || PACKET_RULES[name] == null || !isRef(ref)) continue;
    const key = objectKey(ref);
    const obj = view.object(key);
    if (obj == null || !("stream" in obj)) continue;
    yield { name, key, dict: obj.stream.dict, text: await packetText(obj.stream.dict, obj.stream.datafile) };
  }
}

/**
 * Cleans the packets of an XFA form that carry metadata (PACKET_RULES), writing each back
 * unfiltered (qpdf compresses it again). The form's data, layout and the rest stay as they are.
 */
export async function cleanXfaPackets(view: ObjectView, workDir: string): Promise<void> {
  let n = 0;
  let scope = "";
  for await (const { name, key, dict, text } of knownPackets(view)) {
    if (name === "preamble" || name === "xdp:xdp") scope = text ?? "";
    const rule = PACKET_RULES[name]!;
    if (text == null || !(rule.left.test(text) || (rule.xml && COMMENT.test(text)))) continue;
    const datafile = path.join(workDir, `xfa-${name}-${n++}`);
    await fsp.writeFile(datafile, rule.clean(text, name, scope), { flag: "wx" });
    const { "/Filter": _filter, "/DecodeParms": _parms, "/Length": _length, ...rest } = dict;
    view.changes[key] = { stream: { dict: rest, datafile } };
  }
}

/** The first packet of the form that still holds what PACKET_RULES take out, or null. */
export async function xfaMetadataLeft(view: ObjectView): Promise<string | null> {
  for await (const { name, text } of knownPackets(view)) if (text != null && PACKET_RULES[name]!.left.test(text)) return name;
  return null;
}
