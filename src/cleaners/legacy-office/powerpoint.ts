import { BadFileError } from "../errors.js";
import { ENCRYPTED } from "./encrypted.js";

const ENCRYPTED_TOKEN = 0xf3d1c4df;

/**
 * The "Current User" stream of a PowerPoint 97-2003 file ([MS-PPT] 2.3.2): the name of whoever
 * saved it last, in ANSI and again in UTF-16. Both become spaces of the same length, so the
 * record sizes stay right.
 */
export function scrubCurrentUser(stream: Buffer): void {
  // RecordHeader (8), size (4), headerToken (4), offsetToCurrentEdit (4), lenUserName (2)...
  if (stream.length < 28) return;
  if (isEncryptedPresentation(stream)) throw new BadFileError(ENCRYPTED);
  const len = stream.readUInt16LE(20);
  const ansi = 28;
  stream.fill(0x20, ansi, Math.min(ansi + len, stream.length));
  const unicode = ansi + len + 4;
  for (let pos = unicode; pos + 1 < Math.min(unicode + len * 2, stream.length); pos += 2) stream.writeUInt16LE(0x20, pos);
}

/** Whether a presentation's "Current User" stream says the presentation is encrypted ([MS-PPT] 2.3.2, headerToken). */
export function isEncryptedPresentation(currentUser: Buffer): boolean {
  return currentUser.length >= 16 && currentUser.readUInt32LE(12) === ENCRYPTED_TOKEN;
}
