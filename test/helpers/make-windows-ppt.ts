import fs from "node:fs/promises";
import CFB from "cfb";

/**
 * Turns LibreOffice's PowerPoint file into the shape PowerPoint for Windows and Mac writes: no
 * `\x01CompObj` stream, so what names the program is the Software field of the SummaryInformation
 * property set (here "Microsoft PowerPoint", with the title and author holding the marker), as in
 * ExifTool's own sample FlashPix.ppt.
 */
export async function asPowerPointWithoutCompObj(file: string, marker: string): Promise<void> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  CFB.utils.cfb_del(doc, "\x01CompObj");
  CFB.utils.cfb_del(doc, "\x05SummaryInformation");
  CFB.utils.cfb_add(doc, "\x05SummaryInformation", summaryInformation({ 2: `${marker} title`, 4: `${marker} author`, 0x12: "Microsoft PowerPoint" }));
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
}

/** A SummaryInformation property set ([MS-OLEPS]) of a code page (1252) and ANSI strings by id. */
export function summaryInformation(strings: Readonly<Record<number, string>>): Buffer {
  const props: Array<[number, Buffer]> = [[1, Buffer.from([2, 0, 0, 0, 0xe4, 0x04, 0, 0])]];
  for (const [id, text] of Object.entries(strings)) {
    const bytes = Buffer.from(`${text}\0`, "latin1");
    const value = Buffer.alloc(8 + Math.ceil(bytes.length / 4) * 4);
    value.writeUInt32LE(0x1e, 0);
    value.writeUInt32LE(bytes.length, 4);
    bytes.copy(value, 8);
    props.push([Number(id), value]);
  }
  const table = Buffer.alloc(props.length * 8);
  let offset = 8 + table.length;
  props.forEach(([id, value], i) => {
    table.writeUInt32LE(id, i * 8);
    table.writeUInt32LE(offset, i * 8 + 4);
    offset += value.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32LE(offset, 0);
  head.writeUInt32LE(props.length, 4);
  const set = Buffer.concat([head, table, ...props.map(([, v]) => v)]);
  const stream = Buffer.alloc(48);
  stream.writeUInt16LE(0xfffe, 0);
  stream.writeUInt32LE(0x00020006, 4);
  stream.writeUInt32LE(1, 24);
  Buffer.from("e0859ff2f94f6810ab9108002b27b3d9", "hex").copy(stream, 28);
  stream.writeUInt32LE(48, 44);
  return Buffer.concat([stream, set]);
}
