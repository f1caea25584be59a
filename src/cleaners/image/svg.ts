import fsp from "node:fs/promises";
import path from "node:path";
import { DOMParser, XMLSerializer, type Element, type Node } from "@xmldom/xmldom";
import { BadFileError } from "../errors.js";
import { xmlEncodingOf } from "../xml-encoding.js";
import { checkXmlShape, SVG_LIMITS } from "../xml-limits.js";
import type { CleanContext, Cleaner } from "../types.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";
/** Namespaces a renderer draws (SVG, and XHTML/MathML inside foreignObject) or links with. */
const RENDERED_NS = new Set([SVG_NS, "http://www.w3.org/1999/xhtml", "http://www.w3.org/1998/Math/MathML"]);
const ATTRIBUTE_NS = new Set(["http://www.w3.org/1999/xlink", "http://www.w3.org/XML/1998/namespace"]);
const DECLARED_NS = new Set([...RENDERED_NS, ...ATTRIBUTE_NS]);

const ELEMENT = 1;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;
const DOCUMENT_TYPE = 10;

/**
 * ExifTool's names for the root's size, layout and presentation attributes (a root `style` or
 * `class` is how the picture is drawn), and for title/desc, which are content (a picture's
 * accessible name and description) together with their attributes: an `id` on them is what
 * `aria-labelledby` points at. Anything else ExifTool reads in an SVG (metadata, foreign
 * namespaces) is removed by the cleaner and must not come back.
 */
const STRUCTURAL_TAGS = new Set([
  "SVGVersion", "Xmlns", "ImageWidth", "ImageHeight", "ViewBox", "ID", "Title", "Desc", "Description",
  "Style", "Class", "PreserveAspectRatio", "X", "Y", "BaseProfile", "ZoomAndPan", "Overflow", "Fill", "Stroke",
  "Opacity", "Transform", "Lang", "Space",
]);

/** Attributes of <title> and <desc> (`TitleId`, `DescLang`...): part of that content. */
function isTitleOrDescAttribute(tag: string): boolean {
  return /^(Title|Desc)[A-Z]\w*$/.test(tag);
}

/**
 * SVG, cleaned as XML by a whitelist of what renderers draw: elements and attributes in the
 * SVG/XHTML/MathML namespaces (plus xlink and xml attributes) stay; <metadata>, comments,
 * processing instructions, the DOCTYPE and everything in other namespaces (Inkscape, Sodipodi,
 * Illustrator, Sketch, RDF/Dublin Core...) go. Renderers ignore foreign namespaces, so the
 * picture is unchanged. <title> and <desc> are content (accessible names) and stay. Images
 * embedded as base64 data URIs are cleaned by their own cleaners.
 */
export const svgCleaner: Cleaner = {
  name: "svg",
  fileTypes: ["SVG"],
  async clean(ctx: CleanContext): Promise<void> {
    const text = decode(await fsp.readFile(ctx.input));
    checkXmlShape(text, SVG_LIMITS, "SVG file");
    const doc = parse(text);
    const root = doc.documentElement;
    if (root == null || root.namespaceURI !== SVG_NS || root.localName !== "svg") throw damaged("its root is not an <svg> element");
    for (const child of Array.from(doc.childNodes)) {
      if (child !== root) doc.removeChild(child);
    }
    await cleanElement(root, ctx, { n: 0 });
    await fsp.writeFile(ctx.output, `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}\n`);
  },
  isStructural: (t) => t.group === "SVG" && (STRUCTURAL_TAGS.has(t.tag) || isTitleOrDescAttribute(t.tag)),
};

/** Characters XML 1.0 forbids (C0 controls but tab, LF and CR; U+FFFE and U+FFFF). */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

/**
 * The parser is lenient where browsers are strict: a damaged `<!--` (zeroed, or bytes that are not
 * UTF-8) would turn a comment's text into character data it then keeps as content. Such a file
 * renders nowhere, and is refused like any other that is not well-formed.
 */
function decode(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder(xmlEncodingOf(bytes), { fatal: true }).decode(bytes);
  } catch (err) {
    throw new BadFileError("The SVG file is damaged: it is not well-formed XML.", err);
  }
  if (NOT_XML.test(text)) throw new BadFileError("The SVG file is damaged: it is not well-formed XML.", new Error("a character XML forbids"));
  return text;
}

function parse(text: string): ReturnType<DOMParser["parseFromString"]> {
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level !== "warning") throw new Error(message);
      },
    }).parseFromString(text, "image/svg+xml");
  } catch (err) {
    throw new BadFileError("The SVG file is damaged: it is not well-formed XML.", err);
  }
}

async function cleanElement(el: Element, ctx: CleanContext, counter: { n: number }): Promise<void> {
  for (const attr of Array.from(el.attributes)) {
    const keep = attr.namespaceURI == null || ATTRIBUTE_NS.has(attr.namespaceURI) || (attr.namespaceURI === XMLNS_NS && DECLARED_NS.has(attr.value));
    if (!keep) el.removeAttributeNode(attr);
    else if (attr.localName === "href") attr.value = await cleanDataUri(attr.value, ctx, counter);
  }
  for (const child of Array.from(el.childNodes)) {
    if (isDropped(child)) el.removeChild(child);
    else if (child.nodeType === ELEMENT) await cleanElement(child as Element, ctx, counter);
  }
}

function isDropped(node: Node): boolean {
  if (node.nodeType === COMMENT || node.nodeType === PROCESSING_INSTRUCTION || node.nodeType === DOCUMENT_TYPE) return true;
  if (node.nodeType !== ELEMENT) return false;
  const el = node as Element;
  return el.namespaceURI == null || !RENDERED_NS.has(el.namespaceURI) || (el.namespaceURI === SVG_NS && el.localName === "metadata");
}

/** An embedded raster (`data:image/jpeg;base64,...`) carries its own EXIF: clean it in place. */
async function cleanDataUri(href: string, ctx: CleanContext, counter: { n: number }): Promise<string> {
  const m = /^data:([^;,]+);base64,([A-Za-z0-9+/=\s]+)$/.exec(href.trim());
  if (m == null) return href;
  const n = counter.n++;
  const input = path.join(ctx.workDir, `embedded-${n}`);
  const output = path.join(ctx.workDir, `embedded-${n}-clean`);
  await fsp.writeFile(input, Buffer.from(m[2]!, "base64"));
  // A type no cleaner handles (a BMP, say) has no metadata container we know of: left as it is.
  if (!(await ctx.cleanNested(input, output))) return href;
  return `data:${m[1]!};base64,${(await fsp.readFile(output)).toString("base64")}`;
}

function damaged(why: string): BadFileError {
  return new BadFileError(`The SVG file is damaged: ${why}.`);
}
