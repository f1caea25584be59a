import fsp from "node:fs/promises";
import path from "node:path";
import CFB from "cfb";
import { readCompound } from "./compound-read.js";
import { innerRefusal } from "../inner-refusal.js";
import type { CleanContext } from "../types.js";

/** The streams that make a storage a whole Word, Excel (97-2003 or 5.0/95) or PowerPoint document. */
const DOCUMENT_STREAM = /^(WordDocument|Workbook|Book|PowerPoint Document)$/i;

/**
 * Cleans each Office 97-2003 document embedded as a storage of the compound file (a Word
 * document's `ObjectPool/_N`, a workbook's `MBDxxxxxxxx`: an embedded Word document, workbook or
 * presentation, with its own authors in its own streams, which only its own cleaner blanks) by
 * its own cleaner (`ctx.cleanNested`, which verifies it and counts what it removed): the storage
 * is copied out as a compound file of its own, cleaned, and its entries replaced by the cleaned
 * file's. Storages nested in such a storage are its cleaner's. One that has no cleaner makes
 * the document refused, naming the storage and its type. Resolves to the paths of the storages
 * cleaned ("Root Entry/MBD0001/"), whose streams the rest of the cleaning leaves alone.
 */
export async function cleanEmbeddedStorages(ctx: CleanContext, doc: CFB.CFB$Container): Promise<string[]> {
  const cleaned: string[] = [];
  for (const [i, storage] of documentStorages(doc).entries()) {
    const input = path.join(ctx.workDir, `storage-${i}`);
    const output = `${input}-clean`;
    await fsp.writeFile(input, CFB.write(copyOut(doc, storage), { type: "buffer", fileType: "cfb" }) as Buffer, { flag: "wx" });
    if ((await ctx.cleanNested(input, output)) == null) {
      throw innerRefusal(ctx, "The document holds an embedded document", input, storagePath(doc, storage), `legacy-office: embedded storage ${i + 1} has no cleaner`);
    }
    const clean = readCompound(await fsp.readFile(output));
    await Promise.all([fsp.rm(input), fsp.rm(output)]);
    replace(doc, storage, clean);
    cleaned.push(storage);
  }
  if (cleaned.length > 0) CFB.utils.cfb_gc(doc);
  return cleaned;
}

/** The storages (other than the root) that hold a document stream directly, outermost only. */
function documentStorages(doc: CFB.CFB$Container): string[] {
  const root = doc.FullPaths[0] ?? "";
  const found = new Set<string>();
  for (const [i, p] of doc.FullPaths.entries()) {
    if (doc.FileIndex[i]?.type !== 2) continue;
    const slash = p.lastIndexOf("/");
    const parent = p.slice(0, slash + 1);
    if (parent !== root && DOCUMENT_STREAM.test(p.slice(slash + 1))) found.add(parent);
  }
  return [...found].filter((s) => ![...found].some((outer) => outer !== s && s.startsWith(outer))).sort();
}

/** "Root Entry/ObjectPool/_1234/" -> "ObjectPool/_1234": a storage's path inside the root storage. */
function storagePath(doc: CFB.CFB$Container, storage: string): string {
  return storage.slice((doc.FullPaths[0] ?? "").length).replace(/\/$/, "");
}

/** A compound file holding a copy of `storage`'s entries, its class id as the root's. */
function copyOut(doc: CFB.CFB$Container, storage: string): CFB.CFB$Container {
  const out = CFB.utils.cfb_new();
  const root = out.FullPaths[0]!;
  const own = doc.FileIndex[doc.FullPaths.indexOf(storage)];
  if (own?.clsid != null) out.FileIndex[0]!.clsid = own.clsid;
  for (const [i, p] of doc.FullPaths.entries()) {
    const at = root + p.slice(storage.length);
    // The library's own stream ("\x01Sh33tJ5", in a storage copied from a file it wrote) is in `out` already: not twice.
    if (p === storage || !p.startsWith(storage) || out.FullPaths.includes(at)) continue;
    out.FullPaths.push(at);
    out.FileIndex.push(entryCopy(doc.FileIndex[i]!));
  }
  CFB.utils.cfb_gc(out);
  return out;
}

/** `storage`'s entries in `doc` become those of `clean`'s root. */
function replace(doc: CFB.CFB$Container, storage: string, clean: CFB.CFB$Container): void {
  const keep = doc.FullPaths.map((p) => p === storage || !p.startsWith(storage));
  doc.FileIndex = doc.FileIndex.filter((_, i) => keep[i]);
  doc.FullPaths = doc.FullPaths.filter((_, i) => keep[i]);
  const root = clean.FullPaths[0] ?? "";
  for (const [i, p] of clean.FullPaths.entries()) {
    if (i === 0) continue;
    doc.FullPaths.push(storage + p.slice(root.length));
    doc.FileIndex.push(entryCopy(clean.FileIndex[i]!));
  }
}

/** A directory entry with its own copy of its content, without times (the writer links it into the tree anew). */
function entryCopy(e: CFB.CFB$Entry): CFB.CFB$Entry {
  const { ct: _ct, mt: _mt, ...copy } = e;
  return e.type === 2 && e.content != null ? { ...copy, content: Buffer.from(e.content), size: e.content.length } : copy;
}
