import type { Element } from "@xmldom/xmldom";
import { bareLinkTarget, scrubConnectionString } from "../connection-strings.js";
import { elements, setText } from "../office/xml.js";

/**
 * An XFA form's data connections ([XFA] 3.3: the `connectionSet` packet, and the older
 * `sourceSet`) as a form designer saves them: an ODBC or OLE DB connection string with the
 * designer's user name and password in it or beside it (`connectString`, `user`, `password`), and
 * the address of the schema or sample data the form was bound to, often a file on the designer's
 * disk (`uri`: `C:\Users\jane\Desktop\order.xsd`). The connections stay, with what says where the
 * data is (connection-strings.ts); who connected, and from which folder, goes.
 */
const CONNECTION_STRING = "connectString";
const CREDENTIALS = ["user", "password"];
const ADDRESSES = ["uri", "wsdlAddress", "soapAddress"];

/** Takes the credentials and the designer's folders out of the connection packet `packet`. */
export function scrubConnections(packet: Element): void {
  for (const el of elements(packet)) {
    const name = el.localName ?? "";
    const text = el.textContent ?? "";
    if (name === CONNECTION_STRING) setIfChanged(el, text, scrubConnectionString(text));
    else if (CREDENTIALS.includes(name)) setIfChanged(el, text, "");
    else if (ADDRESSES.includes(name)) setIfChanged(el, text, bareLinkTarget(text));
  }
}

function setIfChanged(el: Element, text: string, clean: string): void {
  if (clean !== text) setText(el, clean);
}

/** Whether the packet's text names any element the edit above looks at (a quick look, before parsing). */
export const CONNECTION_PARTS = new RegExp(`<(?:[\\w.-]+:)?(?:${[CONNECTION_STRING, ...CREDENTIALS, ...ADDRESSES].join("|")})[\\s/>]`);

/** Whether a connection packet, as written to the copy and parsed again, still holds a credential or a folder. */
export function connectionsLeft(packet: Element): boolean {
  for (const el of elements(packet)) {
    const name = el.localName ?? "";
    const text = (el.textContent ?? "").trim();
    if (name === CONNECTION_STRING ? scrubConnectionString(text) !== text : CREDENTIALS.includes(name) ? text !== "" : ADDRESSES.includes(name) && bareLinkTarget(text) !== text) return true;
  }
  return false;
}
