/**
 * The tree links of a compound file's directory entries ([MS-CFB] 2.6.1), changed in place: a
 * directory as a damaged or hostile writer leaves it. Small files only: the FAT's first sector,
 * listed in the header, must hold the directory's chain.
 */
const LINK = { left: 68, right: 72, child: 76 } as const;
export const NO_ENTRY = 0xffffffff;

/** Where each entry of the directory starts in `bytes`, by entry id, with its name. */
export function directoryEntries(bytes: Buffer): Array<{ name: string; at: number }> {
  const size = 1 << bytes.readUInt16LE(30);
  const fat = (bytes.readUInt32LE(76) + 1) * size;
  const out: Array<{ name: string; at: number }> = [];
  for (let sector = bytes.readUInt32LE(48); sector < 0xfffffffa; sector = bytes.readUInt32LE(fat + sector * 4)) {
    for (let at = (sector + 1) * size; at < (sector + 2) * size; at += 128) {
      out.push({ name: bytes.toString("utf16le", at, at + Math.max(0, bytes.readUInt16LE(at + 64) - 2)), at });
    }
  }
  return out;
}

/** A copy of `bytes` whose entry named `name` ("Root Entry": the root) links `link` to entry `to`. */
export function withLink(bytes: Buffer, name: string, link: keyof typeof LINK, to: number): Buffer {
  const out = Buffer.from(bytes);
  const entry = directoryEntries(out).find((e) => e.name === name);
  if (entry == null) throw new Error(`no directory entry named ${JSON.stringify(name)}`);
  out.writeUInt32LE(to, entry.at + LINK[link]);
  return out;
}

/** The id of the entry named `name`. */
export function entryId(bytes: Buffer, name: string): number {
  return directoryEntries(bytes).findIndex((e) => e.name === name);
}

/**
 * A copy of `bytes` whose entry named `name`, a stream with no siblings or child, is made a free
 * slot ([MS-CFB] 2.6.3: all zeros but its links, which name no entry), while the link that
 * reached it stays: a link to an unused slot, as some writers leave.
 */
export function withFreedLeaf(bytes: Buffer, name: string): Buffer {
  const out = Buffer.from(bytes);
  const entry = directoryEntries(out).find((e) => e.name === name);
  if (entry == null) throw new Error(`no directory entry named ${JSON.stringify(name)}`);
  for (const at of Object.values(LINK)) if (out.readUInt32LE(entry.at + at) !== NO_ENTRY) throw new Error(`${JSON.stringify(name)} has siblings or a child`);
  out.fill(0, entry.at, entry.at + 128);
  for (const at of Object.values(LINK)) out.writeUInt32LE(NO_ENTRY, entry.at + at);
  return out;
}

/** A copy of `bytes` whose entry named `name` is named `renamed` instead, a name of the same length. */
export function withName(bytes: Buffer, name: string, renamed: string): Buffer {
  if (renamed.length !== name.length) throw new Error("the new name must keep the old one's length");
  const out = Buffer.from(bytes);
  const entry = directoryEntries(out).find((e) => e.name === name);
  if (entry == null) throw new Error(`no directory entry named ${JSON.stringify(name)}`);
  out.write(renamed, entry.at, "utf16le");
  return out;
}

/**
 * A copy of `bytes` whose root's children, one chain of right siblings (as the cfb library writes
 * them), go round: the last one's right sibling is the one before it.
 */
export function withSiblingsGoingRound(bytes: Buffer): Buffer {
  const entries = directoryEntries(bytes).map((e) => e.at);
  const chain = [bytes.readInt32LE(entries[0]! + LINK.child)];
  while (bytes.readInt32LE(entries[chain[chain.length - 1]!]! + LINK.right) !== -1) chain.push(bytes.readInt32LE(entries[chain[chain.length - 1]!]! + LINK.right));
  if (chain.length < 3) throw new Error("the root has fewer than three children in a chain");
  const out = Buffer.from(bytes);
  out.writeInt32LE(chain[chain.length - 2]!, entries[chain[chain.length - 1]!]! + LINK.right);
  return out;
}
