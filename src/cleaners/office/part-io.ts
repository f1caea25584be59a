import fsp from "node:fs/promises";
import type { Document } from "@xmldom/xmldom";
import { parseXml, serializeXml } from "./xml.js";
import type { FileEntry } from "./zip-read.js";

/** Parses an inflated XML part into a DOM (within parseXml's limits). */
export async function readXmlPart(entry: FileEntry): Promise<Document> {
  return parseXml(await fsp.readFile(entry.file), entry.name);
}

/** Writes a cleaned part beside its original and gives the new file (kept on disk, not in memory). */
export async function saveXmlPart(entry: FileEntry, doc: Document): Promise<{ file: string }> {
  const file = `${entry.file}.xml`;
  await fsp.writeFile(file, serializeXml(doc), { flag: "wx" });
  return { file };
}
