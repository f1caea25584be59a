import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { XMLSerializer, type Document, type Element } from "@xmldom/xmldom";
import { BadFileError, TooComplexError } from "../errors.js";
import { elements, parseXml, removeComments, removeInstructions, removeNode } from "../office/xml.js";
import { isDict, isRef, objectKey, pdfText, type ObjectView } from "./object-view.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";
import { CONNECTION_PARTS, connectionsLeft, scrubConnections } from "./xfa-connections.js";

/** The packet of an XFA form that is an XMP copy of the document's metadata ([XFA] 3.3, "xmpmeta"). */
const XMP_PACKET = "xmpmeta";

/**
 * An XFA form (the catalog's /AcroForm /XFA): split into packets, an array of names and streams,
 * each stream one XML packet of the XDP document (preamble, config, template, datasets, form...,
 * postamble), where `holder` is the object the array is written in (the AcroForm dictionary's, or
 * the array's own when it is an indirect object); or one stream holding the whole XDP document.
 */
type XfaForm = { holder: string; packets: PdfJson[] } | { whole: string };

function xfaForm(view: ObjectView): XfaForm | null {
  const catalogKey = view.catalogKey();
  const catalog = catalogKey == null ? undefined : view.dictOrValue(catalogKey);
  const formRef = isDict(catalog) ? catalog["/AcroForm"] : undefined;
  const form = view.resolve(formRef);
  if (!isDict(form)) return null;
  const xfa = form["/XFA"];
  if (Array.isArray(xfa)) return { holder: isRef(formRef) ? objectKey(formRef) : catalogKey!, packets: xfa };
  if (!isRef(xfa)) return null;
  const key = objectKey(xfa);
  const target = view.object(key);
  if (target != null && "stream" in target) return { whole: key };
  const packets = view.dictOrValue(key);
  return Array.isArray(packets) ? { holder: key, packets } : null;
}

/** The form's packets, where it is split into packets. */
function xfaPackets(view: ObjectView): { holder: string; packets: PdfJson[] } | null {
  const form = xfaForm(view);
  return form != null && "packets" in form ? form : null;
}

/** The keys of an XFA form's streams (they are the form, not attached files). */
export function xfaStreams(view: ObjectView): Set<string> {
  const form = xfaForm(view);
  if (form == null) return new Set();
  if ("whole" in form) return new Set([form.whole]);
  return new Set(form.packets.filter((v, i) => i % 2 === 1 && isRef(v)).map((v) => objectKey(v as string)));
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
const XDP_ID_NAMES = ["uuid", "timeStamp"];
const XDP_IDS = /\s(?:uuid|timeStamp)\s*=\s*(?:"[^"]*"|'[^']*')/g;
const XDP_ID_LEFT = /\s(?:uuid|timeStamp)\s*=/;

/** The names of the packet holding the XDP root's start tag (some designers name it after the root). */
const ROOT_PACKETS = ["preamble", "xdp:xdp"];

/**
 * The XML packets that hold metadata, how it is found again in the copy, and the edit that takes
 * it out of the packet's element (with the comments and, in a template, Designer's
 * `<?templateDesigner ...?>` instructions, which go from every packet edited):
 * - `template`: the `desc` elements (Designer's form properties: author, title, contact,
 *   department, version...), found again by text;
 * - `config`: the `creator` and `producer` a form processor writes into the Info dictionary, by text;
 * - `connectionSet`, and the older `sourceSet`: the data connections' credentials and the
 *   designer's folders (xfa-connections.ts), found by reading the packet again.
 * `holds` is the quick look on the packet's text that decides whether it is edited or read again.
 */
interface PacketRule {
  holds: RegExp;
  left(packet: () => Element, text: string): boolean;
  clean(packet: Element): void;
}

const byName = (holds: RegExp, names: readonly string[]): PacketRule => ({
  holds,
  left: (_packet, text) => holds.test(text),
  clean: (packet) => {
    for (const el of elements(packet)) if (el !== packet && names.includes(el.localName ?? "")) removeNode(el);
  },
});
const connections: PacketRule = { holds: CONNECTION_PARTS, left: (packet, text) => CONNECTION_PARTS.test(text) && connectionsLeft(packet()), clean: scrubConnections };

const XML_PACKETS: Readonly<Record<string, PacketRule>> = {
  template: byName(/<(?:[\w.-]+:)?desc[\s/>]|<\?templateDesigner/, ["desc"]),
  config: byName(/<(?:[\w.-]+:)?(?:creator|producer)[\s/>]/, ["creator", "producer"]),
  connectionSet: connections,
  sourceSet: connections,
};

/**
 * A comment's start sends an XML packet to the edit, but the copy is not searched for it: a
 * script's text may hold one inside CDATA (`<!-- hide`), and that is no comment.
 */
const COMMENT = /<!--/;
const DESIGNER_NOTES = "templateDesigner";

/** An XML declaration opening a packet, and the namespace declarations of an element's start tag. */
const XML_DECLARATION = /^\s*<\?xml\s[^?]*\?>/;
const NAMESPACES = /\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')/g;

/**
 * A packet's XML read inside an element declaring the namespaces of the XDP root (its start tag,
 * in the preamble packet: `scope`), as a packet may use prefixes only the root declares.
 */
function parsePacket(text: string, name: string, scope: string): { declaration: string; wrapper: Element } {
  const declaration = XML_DECLARATION.exec(text)?.[0] ?? "";
  const namespaces = (scope.match(NAMESPACES) ?? []).join("");
  const doc = parseXfa(`<packet${namespaces}>${text.slice(declaration.length)}</packet>`, `the XFA form's ${name} packet`);
  return { declaration, wrapper: doc.documentElement! };
}

const DAMAGED_FORM = "The PDF's XFA form is damaged: its XML cannot be read, so its metadata cannot be removed.";

/** XML of the form, read within office/xml.ts's limits; XML that does not read is a damaged form (said so, not as a document's part). */
function parseXfa(text: string, what: string): Document {
  try {
    return parseXml(Buffer.from(text, "utf8"), what);
  } catch (err) {
    throw err instanceof BadFileError ? new BadFileError(DAMAGED_FORM, err) : err;
  }
}

/** Comments and Designer's instructions go from every packet edited. */
function removeNotes(doc: Document): void {
  removeComments(doc);
  removeInstructions(doc, DESIGNER_NOTES);
}

/** `text` (a whole XML packet) after the edit of its rule, written back without the wrapper it was read in. */
function cleanedPacketText(text: string, name: string, scope: string, rule: PacketRule): string {
  const { declaration, wrapper } = parsePacket(text, name, scope);
  removeNotes(wrapper.ownerDocument!);
  rule.clean(wrapper);
  const serializer = new XMLSerializer();
  let out = declaration;
  for (let c = wrapper.firstChild; c != null; c = c.nextSibling) out += serializer.serializeToString(c);
  return out;
}

/** Whether a packet (split form) is to be edited: its rule's quick look, or a comment in it. */
const needsEdit = (rule: PacketRule, text: string): boolean => rule.holds.test(text) || COMMENT.test(text);

/**
 * A stream's XML text: stored as it is, or behind Flate alone (as form designers write them).
 * Null for other filters: such a stream is left as it is.
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

/** A stream of the form: its key, dictionary and XML text (null: a filter not read here). */
type FormStream = { key: string; dict: PdfDict; text: string | null };

async function formStream(view: ObjectView, key: string): Promise<FormStream | null> {
  const obj = view.object(key);
  if (obj == null || !("stream" in obj)) return null;
  return { key, dict: obj.stream.dict, text: await packetText(obj.stream.dict, obj.stream.datafile) };
}

/** Each packet of a split form that is the XDP root or has a rule, with its stream. */
async function* knownPackets(view: ObjectView): AsyncGenerator<FormStream & { name: string }> {
  const found = xfaPackets(view);
  for (let i = 0; i + 1 < (found?.packets.length ?? 0); i += 2) {
    const name = pdfText(found!.packets[i]);
    const ref = found!.packets[i + 1];
    if (name == null || !(ROOT_PACKETS.includes(name) || XML_PACKETS[name] != null) || !isRef(ref)) continue;
    const stream = await formStream(view, objectKey(ref));
    if (stream != null) yield { name, ...stream };
  }
}

/** The form's one stream, where one stream holds the whole XDP document. */
async function wholeForm(view: ObjectView): Promise<FormStream | null> {
  const form = xfaForm(view);
  return form != null && "whole" in form ? formStream(view, form.whole) : null;
}

/**
 * Whether a whole XDP document may hold what the rules take out: the root's id or date, an XMP
 * packet, a comment, or what a packet's rule looks for.
 */
const mayHoldMetadata = (text: string): boolean =>
  XDP_ID_LEFT.test(text) || /<(?:[\w.-]+:)?xmpmeta[\s/>]/.test(text) || COMMENT.test(text) || Object.values(XML_PACKETS).some((rule) => rule.holds.test(text));

/**
 * A whole XDP document cleaned as its packets are when split: the root's id and date, the XMP
 * packet, and each packet's rule; the comments and Designer's instructions of every packet.
 */
function cleanedWholeForm(text: string): string {
  const doc = parseXfa(text, "the XFA form");
  const root = doc.documentElement!;
  for (const name of XDP_ID_NAMES) root.removeAttribute(name);
  removeNotes(doc);
  for (const packet of childElements(root)) {
    if (packet.localName === XMP_PACKET) removeNode(packet);
    else XML_PACKETS[packet.localName ?? ""]?.clean(packet);
  }
  return new XMLSerializer().serializeToString(doc);
}

function childElements(el: Element): Element[] {
  const found: Element[] = [];
  for (let c = el.firstChild; c != null; c = c.nextSibling) if (c.nodeType === 1) found.push(c as Element);
  return found;
}

/** Writes `text` as the new data of the form's stream `key`, unfiltered (qpdf compresses it again). */
async function writeBack(view: ObjectView, stream: FormStream, text: string, datafile: string): Promise<void> {
  await fsp.writeFile(datafile, text, { flag: "wx" });
  const { "/Filter": _filter, "/DecodeParms": _parms, "/Length": _length, ...rest } = stream.dict;
  view.changes[stream.key] = { stream: { dict: rest, datafile } };
}

/**
 * Cleans the packets of an XFA form that carry metadata (XDP root, XML_PACKETS), or its whole XDP
 * document. The form's data, layout and the rest stay as they are.
 */
export async function cleanXfaPackets(view: ObjectView, workDir: string): Promise<void> {
  const whole = await wholeForm(view);
  if (whole?.text != null && mayHoldMetadata(whole.text)) {
    await writeBack(view, whole, cleanedWholeForm(whole.text), path.join(workDir, "xfa-whole"));
    return;
  }
  let n = 0;
  let scope = "";
  for await (const stream of knownPackets(view)) {
    const { name, text } = stream;
    if (text == null) continue;
    const datafile = path.join(workDir, `xfa-${name}-${n++}`);
    if (ROOT_PACKETS.includes(name)) {
      scope = text;
      if (XDP_ID_LEFT.test(text)) await writeBack(view, stream, text.replace(XDP_IDS, ""), datafile);
      continue;
    }
    const rule = XML_PACKETS[name]!;
    if (needsEdit(rule, text)) await writeBack(view, stream, cleanedPacketText(text, name, scope, rule), datafile);
  }
}

/** The first part of the form (a packet's name) that still holds what the rules take out, or null. */
export async function xfaMetadataLeft(view: ObjectView): Promise<string | null> {
  const whole = await wholeForm(view);
  if (whole?.text != null && mayHoldMetadata(whole.text)) return wholeFormLeft(whole.text);
  let scope = "";
  for await (const { name, text } of knownPackets(view)) {
    if (text == null) continue;
    if (ROOT_PACKETS.includes(name)) {
      scope = text;
      if (XDP_ID_LEFT.test(text)) return name;
      continue;
    }
    const rule = XML_PACKETS[name]!;
    if (rule.left(() => parsePacket(text, name, scope).wrapper, text)) return name;
  }
  return null;
}

/** The first part of a whole XDP document that still holds metadata (each packet by its rule), or null. */
function wholeFormLeft(text: string): string | null {
  const root = parseXfa(text, "the XFA form").documentElement!;
  if (XDP_ID_NAMES.some((name) => root.hasAttribute(name))) return root.nodeName;
  const serializer = new XMLSerializer();
  for (const packet of childElements(root)) {
    const name = packet.localName ?? "";
    if (name === XMP_PACKET) return name;
    if (XML_PACKETS[name]?.left(() => packet, serializer.serializeToString(packet))) return name;
  }
  return null;
}
