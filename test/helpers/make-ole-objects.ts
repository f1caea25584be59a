import fs from "node:fs/promises";
import CFB from "cfb";

/**
 * Embedded (OLE) objects as Office writes them ([MS-OLEDS]): in a Word 97-2003 document, each
 * object is a storage `ObjectPool/_N` holding either a whole compound file's streams (an Excel
 * 97-2003 workbook), a `Package` stream (an Office 2007+ document, embedded whole) or an
 * `\x01Ole10Native` stream (a file packaged by Object Packager). In RTF, `\objdata` holds the same
 * as an OLE 1 object: a header naming the class, then the native data.
 */
export type OleObjectSpec =
  | { kind: "storage"; compoundFile: Buffer }
  | { kind: "package"; document: Buffer }
  | { kind: "packaged"; name: string; sourcePath: string; data: Buffer };

/** Adds the objects to the compound file `file` (a .doc), as `ObjectPool/_1`, `_2`... */
export async function embedObjects(file: string, objects: readonly OleObjectSpec[]): Promise<void> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  for (const [i, o] of objects.entries()) {
    const storage = `/ObjectPool/_${1000 + i}`;
    if (o.kind === "storage") {
      const inner = CFB.read(o.compoundFile, { type: "buffer" });
      const root = inner.FullPaths[0] ?? "";
      for (const [j, p] of inner.FullPaths.entries()) {
        const e = inner.FileIndex[j];
        if (e?.type === 2 && e.content != null) CFB.utils.cfb_add(doc, `${storage}/${p.slice(root.length)}`, Buffer.from(e.content));
      }
    } else if (o.kind === "package") CFB.utils.cfb_add(doc, `${storage}/Package`, o.document);
    else CFB.utils.cfb_add(doc, `${storage}/\x01Ole10Native`, withSize(packagerData(o.name, o.sourcePath, o.data)));
  }
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
}

/** Object Packager's native data: signature 2, label, original path, 4 bytes, temporary path, the file. */
export function packagerData(name: string, sourcePath: string, data: Buffer): Buffer {
  const temp = Buffer.from(`C:\\Users\\someone\\AppData\\Local\\Temp\\${name}\0`, "latin1");
  return Buffer.concat([Buffer.from([2, 0]), Buffer.from(`${name}\0${sourcePath}\0`, "latin1"), Buffer.from([0, 0, 3, 0]), withSize(temp), withSize(data)]);
}

/** An OLE 1 embedded object ([MS-OLEDS] 2.2.4): version, format 2 (embedded), class, empty topic and item, native data. */
export function ole1Object(className: string, native: Buffer): Buffer {
  const ansi = (s: string): Buffer => withSize(Buffer.from(s === "" ? "" : `${s}\0`, "latin1"));
  return Buffer.concat([Buffer.from([1, 5, 0, 0, 2, 0, 0, 0]), ansi(className), ansi(""), ansi(""), withSize(native)]);
}

function withSize(data: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([size, data]);
}
