import { DOMParser, XMLSerializer, type Document, type Element, type Node, type ProcessingInstruction } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import { checkXmlShape, type XmlShapeLimits } from "../xml-limits.js";
import { withoutExternalDoctype } from "./doctype.js";

/**
 * Parts read whole into memory (relationships, content types, manifests, comments counted before
 * they are dropped, EPUB documents) are small in real files, while a DOM costs about a kilobyte
 * per node: these bounds keep one inside a worker's heap. Office content parts, which can be
 * large, are streamed instead (xml-stream.ts).
 */
const DOM_LIMITS: XmlShapeLimits = { maxDepth: 1000, maxElements: 300_000, maxAttributes: 1_000_000, maxAttributesPerElement: 10_000, maxValueChars: 16 * 1024 * 1024 };

const ELEMENT_NODE = 1;
const COMMENT_NODE = 8;
const PROCESSING_INSTRUCTION_NODE = 7;

/**
 * Parses one XML part of a document, within the limits above. Anything short of well-formed is the
 * file's fault, and so is a DTD of its own: OOXML forbids them (ECMA-376 Part 2, 8.1.4) and
 * OpenDocument needs none, while a DTD's entities are how XML bombs are built. A DOCTYPE that only
 * names an external DTD is dropped (doctype.ts).
 */
export function parseXml(bytes: Buffer, part: string): Document {
  const { text: read, wasUtf16 } = decode(bytes, part);
  const text = withoutExternalDoctype(read);
  checkXmlShape(text, DOM_LIMITS, part);
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== "warning") throw new Error(message);
      },
    }).parseFromString(text, "application/xml");
  } catch (err) {
    throw new BadFileError("The document holds a damaged XML part.", new Error(`${part}: ${String(err)}`));
  }
  if (doc.doctype != null) throw new BadFileError("The document holds an XML part with a DTD.", new Error(part));
  if (wasUtf16) declareUtf8(doc);
  return doc;
}

/** The part's bytes again, always UTF-8. */
export function serializeXml(doc: Document): Buffer {
  return Buffer.from(new XMLSerializer().serializeToString(doc), "utf8");
}

/**
 * Every element under (and including) `root`, in document order. The caller may remove the
 * element it was just given: its subtree is then skipped.
 */
export function* elements(root: Element): Generator<Element> {
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    yield el;
    if (el !== root && el.parentNode == null) continue;
    const children: Element[] = [];
    for (let c = el.firstChild; c != null; c = c.nextSibling) if (c.nodeType === ELEMENT_NODE) children.push(c as Element);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

/**
 * Removes every XML comment: neither OOXML nor OpenDocument gives them a meaning, and tools
 * leave their name, version or user in them.
 */
export function removeComments(doc: Document): void {
  removeNodesWhere(doc, (n) => n.nodeType === COMMENT_NODE);
}

/** Removes the processing instructions of `target` (`<?target ...?>`), wherever they stand. */
export function removeInstructions(doc: Document, target: string): void {
  removeNodesWhere(doc, (n) => n.nodeType === PROCESSING_INSTRUCTION_NODE && n.nodeName === target);
}

/** Removes every child of the document or of any element that `matches`. */
function removeNodesWhere(doc: Document, matches: (n: Node) => boolean): void {
  const found: Node[] = [];
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (let c = n.firstChild; c != null; c = c.nextSibling) {
      if (matches(c)) found.push(c);
      else if (c.nodeType === ELEMENT_NODE) stack.push(c);
    }
  }
  found.forEach(removeNode);
}

export function removeNode(node: Node): void {
  node.parentNode?.removeChild(node);
}

/** Replaces an element's content with one text node. */
export function setText(el: Element, text: string): void {
  while (el.firstChild != null) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument!.createTextNode(text));
}

function decode(bytes: Buffer, part: string): { text: string; wasUtf16: boolean } {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder("utf-16le", { fatal: true }).decode(bytes.subarray(2)), wasUtf16: true };
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder("utf-16be", { fatal: true }).decode(bytes.subarray(2)), wasUtf16: true };
    // TextDecoder drops a UTF-8 byte-order mark itself.
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), wasUtf16: false };
  } catch (err) {
    throw new BadFileError("The document holds a damaged XML part.", new Error(`${part}: ${String(err)}`));
  }
}

/** The text is re-encoded as UTF-8, so the declaration must say so. */
function declareUtf8(doc: Document): void {
  const first = doc.firstChild;
  if (first == null || first.nodeType !== PROCESSING_INSTRUCTION_NODE || first.nodeName !== "xml") return;
  const pi = first as ProcessingInstruction;
  pi.data = pi.data.replace(/encoding\s*=\s*(["'])[^"']*\1/, 'encoding="UTF-8"');
}
