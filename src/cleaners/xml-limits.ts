import fs from "node:fs";
import { SaxesParser } from "saxes";
import { throwIfTaskStopped } from "../isolation/worker-channel.js";
import { TooComplexError } from "./errors.js";
import { xmlEncodingOf } from "./xml-encoding.js";

export interface XmlShapeLimits {
  /** Elements open inside each other (libxml2, and so most readers, refuse past 256). */
  maxDepth: number;
  /** Elements in the whole text. */
  maxElements: number;
  /** Attributes in the whole text: in a DOM each is a node, as costly as an element. */
  maxAttributes: number;
  /** Attributes of one element. */
  maxAttributesPerElement: number;
  /** Characters of one attribute value or one run of text. */
  maxValueChars: number;
}

/**
 * An SVG drawn by a person or a tool nests a few dozen levels and holds some thousands of elements
 * with a handful of attributes each (a detailed map: some 100,000 elements; the root, with its
 * namespace declarations, a few dozen attributes); its longest value is a path's data or an
 * embedded picture as a data: URI (a 20 MB photo is 27 M characters of base64). ExifTool, which
 * reads every attribute as a tag, slows down most on elements with hundreds of them: a 6 MB SVG of
 * 750 elements with 1,000 attributes each holds it for 20 s of CPU.
 */
export const SVG_LIMITS: XmlShapeLimits = {
  maxDepth: 256,
  maxElements: 200_000,
  maxAttributes: 1_000_000,
  maxAttributesPerElement: 256,
  maxValueChars: 48 * 1024 * 1024,
};

/** Checks the shape of XML text fed to it piece by piece; throws `TooComplexError` at the first limit passed. */
interface ShapeCheck {
  write(chunk: string): void;
  close(): void;
}

/**
 * Counts what a DOM built from the text would hold, with a streaming parser that keeps no tree. A
 * file nesting thousands deep, or holding millions of elements or attributes, is "too complex"
 * here, in milliseconds, instead of a recursion past the stack or a tree past the heap later.
 * Whether the text is well-formed is left to the parser that reads it afterwards (this one knows
 * no DTD entities).
 */
function shapeCheck(limits: XmlShapeLimits, what: string): ShapeCheck {
  const parser = new SaxesParser({ xmlns: false, position: false });
  let depth = 0;
  let elements = 0;
  let attributes = 0;
  let attributesHere = 0;
  const checkValue = (value: string): void => {
    if (value.length > limits.maxValueChars) throw new TooComplexError(`${what} holds a value longer than ${limits.maxValueChars} characters`);
  };
  parser.on("opentagstart", () => {
    attributesHere = 0;
    depth += 1;
    elements += 1;
    if (depth > limits.maxDepth) throw new TooComplexError(`${what} nests more than ${limits.maxDepth} elements deep`);
    if (elements > limits.maxElements) throw new TooComplexError(`${what} holds more than ${limits.maxElements} elements`);
  });
  // Counted as each is read, before the parser gathers a start tag's attributes into one object.
  parser.on("attribute", (attr) => {
    attributes += 1;
    if (attributes > limits.maxAttributes) throw new TooComplexError(`${what} holds more than ${limits.maxAttributes} attributes`);
    if (++attributesHere > limits.maxAttributesPerElement) throw new TooComplexError(`${what} holds an element with more than ${limits.maxAttributesPerElement} attributes`);
    checkValue(attr.value);
  });
  parser.on("text", checkValue);
  parser.on("cdata", checkValue);
  parser.on("closetag", () => {
    depth -= 1;
  });
  // Reported, then parsing goes on: only the shape is judged here.
  parser.on("error", () => undefined);
  return {
    write: (chunk) => void parser.write(chunk),
    close: () => void parser.close(),
  };
}

/** Checks XML text already in memory (see {@link shapeCheck}). */
export function checkXmlShape(text: string, limits: XmlShapeLimits, what: string): void {
  const check = shapeCheck(limits, what);
  check.write(text);
  check.close();
}

/** Checks an XML file read as a stream of text (UTF-8 or UTF-16), so that memory does not grow with the file. */
export async function checkXmlFileShape(file: string, limits: XmlShapeLimits, what: string): Promise<void> {
  const check = shapeCheck(limits, what);
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  let decoder: TextDecoder | undefined;
  try {
    for await (const chunk of stream) {
      throwIfTaskStopped();
      decoder ??= new TextDecoder(xmlEncodingOf(chunk as Buffer));
      check.write(decoder.decode(chunk as Buffer, { stream: true }));
    }
    if (decoder != null) check.write(decoder.decode());
    check.close();
  } finally {
    stream.destroy();
  }
}
