import fsp from "node:fs/promises";
import path from "node:path";
import type CFB from "cfb";
import { innerRefusal } from "../inner-refusal.js";
import type { CleanContext } from "../types.js";
import { isContentsFile, refusedObject } from "./ole-object.js";
import { isBitmapFile, oleNativeData, packageData, parsePackage } from "./ole-package.js";
import { sameName } from "./stream-names.js";

const OLE10_NATIVE = "\x01Ole10Native";

/**
 * Files embedded whole in a compound document's objects ([MS-OLEDS]), each cleaned by its own
 * cleaner (`ctx.cleanNested`, which verifies it and counts what it removed) and written back in
 * its place: an Office 2007+ document in a `Package` stream (an embedded DOCX or XLSX, with its
 * authors), a file packaged by Object Packager in an `\x01Ole10Native` stream (a photo with its
 * GPS position), whose original and temporary paths become its bare name, a Paintbrush object's
 * BMP file in its `\x01Ole10Native` stream (a V5 bitmap's colour profile, which may name a file
 * in the user's folder), and an Acrobat object's
 * PDF or a WordPad object's RTF document in its `CONTENTS` stream. Nothing refers to these
 * streams by offset, so they may change size. An embedded file no cleaner handles makes the
 * document refused, naming its type (and its name, for a packaged file); native data that is not
 * a package (an OLE 1 program's own), naming the object's program. Entries `ours` says no to
 * (inside an embedded document its own cleaner cleaned) are left alone. Resolves to the number of
 * files cleaned.
 */
export async function cleanEmbeddedFiles(ctx: CleanContext, doc: CFB.CFB$Container, ours: (index: number) => boolean): Promise<number> {
  let n = 0;
  for (const [i, e] of doc.FileIndex.entries()) {
    const whole = sameName(e.name, "Package") || (sameName(e.name, "CONTENTS") && isContentsFile(e.content));
    if (e.type !== 2 || e.content == null || (!whole && !sameName(e.name, OLE10_NATIVE)) || !ours(i)) continue;
    const content = Buffer.from(e.content);
    let cleaned: Buffer;
    if (whole) cleaned = await cleanFile(ctx, content, n);
    else {
      const native = oleNativeData(content);
      const packaged = parsePackage(native);
      let rebuilt: Buffer;
      if (packaged != null) rebuilt = packageData(packaged.label, await cleanFile(ctx, native.subarray(packaged.at, packaged.at + packaged.length), n, packaged.label));
      else if (isBitmapFile(native)) rebuilt = await cleanFile(ctx, native, n);
      // Other native data would go back as it is, with whatever folders it names.
      else throw refusedObject(doc, doc.FullPaths[i]!.slice(0, -e.name.length), "an \\x01Ole10Native stream is neither a package nor a bitmap");
      const head = Buffer.alloc(4);
      head.writeUInt32LE(rebuilt.length);
      cleaned = Buffer.concat([head, rebuilt]);
    }
    e.content = cleaned;
    e.size = cleaned.length;
    n++;
  }
  return n;
}

/** `label`: the name a packaged file shows under, which tells the person which file was refused. */
async function cleanFile(ctx: CleanContext, data: Buffer, n: number, label?: string): Promise<Buffer> {
  const input = path.join(ctx.workDir, `object-${n}`);
  const output = path.join(ctx.workDir, `object-${n}-clean`);
  await fsp.writeFile(input, data, { flag: "wx" });
  if ((await ctx.cleanNested(input, output)) == null) {
    throw innerRefusal(ctx, "The document holds an embedded file", input, label ?? null, `legacy-office: embedded object ${n + 1} has no cleaner`);
  }
  const cleaned = await fsp.readFile(output);
  await Promise.all([fsp.rm(input), fsp.rm(output)]);
  return cleaned;
}
