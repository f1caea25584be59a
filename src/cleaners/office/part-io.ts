import fsp from "node:fs/promises";
import type { Document } from "@xmldom/xmldom";
import { parseXml, serializeXml } from "./xml.js";
import { checkXml, type XmlLimits } from "./xml-stream.js";
import type { FileEntry } from "./zip-read.js";

/**
 * Parts read whole into memory (relationships, content types, the manifest, comments counted
 * before they are dropped) are small in real documents; a DOM costs about a kilobyte per node, so
 * these bounds keep one well inside a worker's heap.
 */
export const DOM_LIMITS: XmlLimits = { maxDepth: 1000, maxNodes: 300_000, maxAttributesPerElement: 10_000 };

/** Parses an inflated XML part into a DOM, once it has been read as a stream within the limits. */
export async function readXmlPart(entry: FileEntry): Promise<Document> {
  await checkXml(entry.file, entry.name, DOM_LIMITS);
  return parseXml(await fsp.readFile(entry.file), entry.name);
}

/** Writes a cleaned part beside its original and gives the new file (kept on disk, not in memory). */
export async function saveXmlPart(entry: FileEntry, doc: Document): Promise<{ file: string }> {
  const file = `${entry.file}.xml`;
  await fsp.writeFile(file, serializeXml(doc), { flag: "wx" });
  return { file };
}
