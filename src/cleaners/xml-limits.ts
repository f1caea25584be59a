import { SaxesParser } from "saxes";
import { TooComplexError } from "./errors.js";

export interface XmlShapeLimits {
  /** Elements open inside each other (libxml2, and so most readers, refuse past 256). */
  maxDepth: number;
  /** Elements in the whole text. */
  maxElements: number;
}

/** An SVG drawn by a person or a tool nests a few dozen levels and holds some thousands of elements. */
export const SVG_LIMITS: XmlShapeLimits = { maxDepth: 256, maxElements: 200_000 };

/**
 * Walks XML text with a streaming parser, keeping no tree, before a DOM is built from it: a file
 * nesting thousands deep or holding millions of elements is "too complex" here, in milliseconds,
 * instead of a recursion past the stack or a tree past the heap later. Whether the text is
 * well-formed is left to the parser that reads it afterwards (this one knows no DTD entities).
 */
export function checkXmlShape(text: string, limits: XmlShapeLimits, what: string): void {
  const parser = new SaxesParser({ xmlns: false });
  let depth = 0;
  let elements = 0;
  parser.on("opentag", () => {
    depth += 1;
    elements += 1;
    if (depth > limits.maxDepth) throw new TooComplexError(`${what} nests more than ${limits.maxDepth} elements deep`);
    if (elements > limits.maxElements) throw new TooComplexError(`${what} holds more than ${limits.maxElements} elements`);
  });
  parser.on("closetag", () => {
    depth -= 1;
  });
  // Reported, then parsing goes on: only the shape is judged here.
  parser.on("error", () => undefined);
  parser.write(text).close();
}
