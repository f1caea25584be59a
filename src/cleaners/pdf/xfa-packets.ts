import { isDict, isRef, objectKey, pdfText, type ObjectView } from "./object-view.js";
import type { PdfJson } from "./scrub-objects.js";

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
