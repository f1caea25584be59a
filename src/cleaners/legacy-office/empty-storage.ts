import type CFB from "cfb";
import { ENTRY_SIZE, NAME_LENGTH, OBJECT_TYPE } from "./compound-directory.js";

const SECTOR = 512;
const ENDOFCHAIN = 0xfffffffe;
const FATSECT = 0xfffffffd;
const NOSTREAM = 0xffffffff;

/**
 * A compound file that holds nothing but its root storage: an embedded object's storage left
 * empty (PowerPoint keeps some, Tika's testPPT.ppt), its directory entry's times gone. Written by
 * hand ([MS-CFB] 2.2, 2.6: a header, one FAT sector, one directory sector) because the `cfb`
 * library adds a stream of its own to every file it writes, which made the copy deflate past the
 * room PowerPoint's record had for it. The root keeps its name and class id.
 */
export function emptyStorage(root: CFB.CFB$Entry): Buffer {
  const out = Buffer.alloc(3 * SECTOR);
  Buffer.from("d0cf11e0a1b11ae1", "hex").copy(out, 0);
  out.writeUInt16LE(0x3e, 24); // minor version
  out.writeUInt16LE(3, 26); // major version 3: 512-byte sectors
  out.writeUInt16LE(0xfffe, 28); // byte order
  out.writeUInt16LE(9, 30); // sector shift
  out.writeUInt16LE(6, 32); // mini sector shift
  out.writeUInt32LE(1, 44); // FAT sectors
  out.writeUInt32LE(1, 48); // first directory sector
  out.writeUInt32LE(0x1000, 56); // mini stream cutoff
  out.writeUInt32LE(ENDOFCHAIN, 60); // no mini FAT
  out.writeUInt32LE(ENDOFCHAIN, 68); // no DIFAT sectors
  out.fill(0xff, 76, SECTOR);
  out.writeUInt32LE(0, 76); // the FAT is sector 0
  const fat = SECTOR;
  out.fill(0xff, fat, fat + SECTOR);
  out.writeUInt32LE(FATSECT, fat);
  out.writeUInt32LE(ENDOFCHAIN, fat + 4);
  const dir = 2 * SECTOR;
  // Every entry's left sibling, right sibling and child: none (the three unused entries are otherwise zeros).
  for (let e = dir; e < dir + SECTOR; e += ENTRY_SIZE) for (const link of [68, 72, 76]) out.writeUInt32LE(NOSTREAM, e + link);
  const name = Buffer.from(`${root.name.slice(0, 31)}\0`, "utf16le");
  name.copy(out, dir);
  out.writeUInt16LE(name.length, dir + NAME_LENGTH);
  out[dir + OBJECT_TYPE] = 5;
  out[dir + OBJECT_TYPE + 1] = 1; // black
  if (root.clsid != null && /^[0-9a-f]{32}$/i.test(root.clsid)) Buffer.from(root.clsid, "hex").copy(out, dir + 80);
  out.writeUInt32LE(ENDOFCHAIN, dir + 116); // no mini stream
  return out;
}
