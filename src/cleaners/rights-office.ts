import fsp from "node:fs/promises";
import { ODF_TYPES } from "./office/opendocument.js";
import { extractZip } from "./office/zip-read.js";
import { type OutEntry, writeZip } from "./office/zip-write.js";

const OOXML = new Set(["DOCX", "DOTX", "XLSX", "XLTX", "XLSB", "PPTX", "POTX", "PPSX"]);
const CORE_PART = "docProps/core.xml";
const CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml";
const CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties";

const ODF_META = "meta.xml";

/**
 * Gives a clean office package (which the cleaner leaves without document properties) a
 * properties part holding only the original's rights fields: for Office Open XML, core properties
 * with the creator and rights, registered in the content types and the package relationships;
 * for OpenDocument, a meta.xml with the creator (ODF's metadata has no rights field), listed in
 * the manifest. Resolves to false for other formats.
 */
export async function writeOfficeRights(fileType: string, cleaned: string, output: string, workDir: string, rights: { creator?: string; rights?: string }): Promise<boolean> {
  if (ODF_TYPES.has(fileType)) return rights.creator != null && writeOdfCreator(cleaned, output, workDir, rights.creator);
  if (!OOXML.has(fileType) || (rights.creator == null && rights.rights == null)) return false;
  const entries = await extractZip(cleaned, workDir);
  if (entries.some((e) => e.name.toLowerCase() === CORE_PART.toLowerCase())) throw new Error("a clean package still has its core properties");
  const out: OutEntry[] = [];
  for (const e of entries) {
    if (e.directory) {
      out.push({ name: e.name, source: "directory" });
      continue;
    }
    if (e.name === "[Content_Types].xml") {
      const text = await fsp.readFile(e.file, "utf8");
      out.push({ name: e.name, source: Buffer.from(insertBefore(text, "</Types>", `<Override PartName="/${CORE_PART}" ContentType="${CORE_TYPE}"/>`), "utf8") });
    } else if (e.name === "_rels/.rels") {
      const text = await fsp.readFile(e.file, "utf8");
      out.push({ name: e.name, source: Buffer.from(insertBefore(text, "</Relationships>", `<Relationship Id="rIdKeptRights" Type="${CORE_REL}" Target="${CORE_PART}"/>`), "utf8") });
    } else {
      out.push({ name: e.name, source: { file: e.file } });
    }
  }
  const fields = [
    rights.creator != null ? `<dc:creator>${escapeXml(rights.creator)}</dc:creator>` : "",
    rights.rights != null ? `<dc:rights>${escapeXml(rights.rights)}</dc:rights>` : "",
  ].join("");
  const core =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">${fields}</cp:coreProperties>`;
  out.push({ name: CORE_PART, source: Buffer.from(core, "utf8") });
  await writeZip(output, out);
  return true;
}

async function writeOdfCreator(cleaned: string, output: string, workDir: string, creator: string): Promise<boolean> {
  const entries = await extractZip(cleaned, workDir);
  if (entries.some((e) => e.name === ODF_META)) throw new Error("a clean package still has its meta.xml");
  const out: OutEntry[] = [];
  for (const e of entries) {
    if (e.directory) out.push({ name: e.name, source: "directory" });
    else if (e.name === "META-INF/manifest.xml") {
      const text = await fsp.readFile(e.file, "utf8");
      const entry = `<manifest:file-entry manifest:full-path="${ODF_META}" manifest:media-type="text/xml"/>`;
      out.push({ name: e.name, source: Buffer.from(insertBefore(text, "</manifest:manifest>", entry), "utf8") });
    } else out.push({ name: e.name, source: { file: e.file } });
  }
  const meta =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">' +
    `<office:meta><dc:creator>${escapeXml(creator)}</dc:creator></office:meta></office:document-meta>`;
  out.push({ name: ODF_META, source: Buffer.from(meta, "utf8") });
  await writeZip(output, out);
  return true;
}

function insertBefore(text: string, closing: string, element: string): string {
  const at = text.lastIndexOf(closing);
  if (at < 0) throw new Error(`no ${closing} in a clean package part`);
  return text.slice(0, at) + element + text.slice(at);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
