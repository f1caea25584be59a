import type { Document, Element } from "@xmldom/xmldom";
import { NEUTRAL_AUTHOR } from "./ooxml-scrub.js";
import { elements, removeComments, removeNode, setText } from "./xml.js";

const DC = "http://purl.org/dc/elements/1.1/";
const META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0";
const OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0";
const LOEXT = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0";
/** LibreOffice's `officeooo:rsid` / `officeooo:paragraph-rsid`: edit-session ids on styles. */
const OOO = "http://openoffice.org/2009/office";
const NEUTRAL_DATE = "1980-01-01T00:00:00";

/**
 * `settings.xml` items that name a machine, a person or a session: the printer (PrinterSetup is
 * the driver's own blob, with the printer and often the user name), revision-session ids, and
 * the mail-merge database last used.
 */
const DROPPED_SETTINGS: ReadonlySet<string> = new Set([
  "PrinterName",
  "PrinterSetup",
  "Rsid",
  "RsidRoot",
  "CurrentDatabaseDataSource",
  "CurrentDatabaseCommand",
  "CurrentDatabaseCommandType",
]);

/**
 * Removes the metadata an OpenDocument part carries inline: who and when of annotations
 * (optional there, so removed) and of tracked changes (required in `office:change-info`, so made
 * neutral), revision-session ids, and the printer and session items of the settings.
 */
export function scrubOdfPart(doc: Document): void {
  removeComments(doc);
  for (const el of elements(doc.documentElement!)) {
    if (isPersonOrDate(el)) {
      const parent = el.parentNode as Element | null;
      if (parent?.namespaceURI === OFFICE && parent.localName === "change-info") setText(el, el.localName === "date" ? NEUTRAL_DATE : NEUTRAL_AUTHOR);
      else removeNode(el);
      continue;
    }
    if (el.namespaceURI === CONFIG && el.localName === "config-item" && DROPPED_SETTINGS.has(el.getAttributeNS(CONFIG, "name") ?? "")) {
      removeNode(el);
      continue;
    }
    el.removeAttributeNS(OOO, "rsid");
    el.removeAttributeNS(OOO, "paragraph-rsid");
  }
}

function isPersonOrDate(el: Element): boolean {
  const n = el.localName;
  if (el.namespaceURI === DC) return n === "creator" || n === "date";
  if (el.namespaceURI === META) return n === "creator-initials";
  return el.namespaceURI === LOEXT && n === "sender-initials";
}
