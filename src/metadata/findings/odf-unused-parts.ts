import { SaxesParser } from "saxes";
import type yauzl from "yauzl";
import fs from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { isMarkupPart, MANIFEST, MANIFEST_NS, OLE_OBJECT_TYPE, planDrops, targetsOf, usesOf } from "../../cleaners/office/odf-package.js";
import { markupBudget } from "../../cleaners/office/zip-read.js";
import { openZip, openZipEntry, zipEntries } from "../../cleaners/zip-file.js";

/**
 * Bounds of the look: entries listed, markup inflated in all (as much as the cleaning would parse
 * of a file this size, and at most this). Past them, nothing is reported.
 */
const MAX_ENTRIES = 10_000;
const MAX_MARKUP_BYTES = 64 * 1024 * 1024;

/**
 * The pictures, embedded objects and OLE objects of an OpenDocument package that no markup part
 * names, as the cleaning finds them (odf-package.ts): the manifest tells the OLE objects, then
 * every attribute of every part the cleaning reads is looked at. A second pass over the ZIP, its
 * markup read only when the package holds any. None when the manifest or the markup does not
 * parse, or lies past the bounds: damage or size the cleaning judges, not parts left behind.
 */
export async function unusedParts(file: string): Promise<string[]> {
  const zip = await openZip(file, { validateEntrySizes: false });
  try {
    const markup: yauzl.Entry[] = [];
    const names: string[] = [];
    let manifest: yauzl.Entry | null = null;
    let seen = 0;
    for await (const entry of zipEntries(zip)) {
      if (++seen > MAX_ENTRIES || entry.isEncrypted()) return [];
      const name = entry.fileName;
      if (name.endsWith("/")) continue;
      names.push(name);
      if (isMarkupPart(name)) markup.push(entry);
      if (name === MANIFEST) manifest = entry;
    }
    let budget = Math.min(MAX_MARKUP_BYTES, markupBudget((await fs.stat(file)).size));
    const parse = async (entry: yauzl.Entry, parser: SaxesParser): Promise<boolean> => {
      const text = new StringDecoder("utf8");
      const stream = await openZipEntry(zip, entry);
      try {
        for await (const chunk of stream) {
          budget -= (chunk as Buffer).length;
          if (budget < 0) return false;
          parser.write(text.write(chunk as Buffer));
        }
        parser.write(text.end());
        parser.close();
        return true;
      } finally {
        stream.destroy();
      }
    };
    const oleObjects = new Set<string>();
    if (manifest != null) {
      const parser = new SaxesParser({ xmlns: true, position: false });
      parser.on("opentag", (tag) => {
        const attribute = (local: string): string | undefined => Object.values(tag.attributes).find((a) => a.uri === MANIFEST_NS && a.local === local)?.value;
        if (tag.uri === MANIFEST_NS && tag.local === "file-entry" && attribute("media-type") === OLE_OBJECT_TYPE) oleObjects.add(attribute("full-path") ?? "");
      });
      if (!(await parse(manifest, parser))) return [];
    }
    const targets = targetsOf(names, oleObjects);
    if (targets.files.length + targets.folders.length === 0) return [];
    const { original } = usesOf(targets);
    for (const entry of markup) {
      if (entry.uncompressedSize === 0) continue;
      const parser = new SaxesParser({ xmlns: false, position: false });
      parser.on("opentag", (tag) => original.note(entry.fileName, Object.values(tag.attributes)));
      if (!(await parse(entry, parser))) return [];
    }
    return planDrops(targets, { original, kept: original }).unused;
  } catch {
    return [];
  } finally {
    zip.close();
  }
}
