import { BadFileError } from "../errors.js";

/**
 * Refuses the member names that point outside the folder an archive is unpacked into (absolute
 * names, drive letters, `..` segments: "zip slip") or that programs read differently (NUL).
 * Names are kept as they are otherwise: they are the archive's content.
 */
export function checkMemberName(name: string): void {
  const shown = describeName(name);
  if (name === "" || name.includes("\0")) throw new BadFileError(`The archive holds a member with an invalid name (${shown}).`);
  if (name.startsWith("/") || name.startsWith("\\") || /^[a-zA-Z]:/.test(name)) {
    throw new BadFileError(`The archive holds a member with an absolute name (${shown}).`);
  }
  if (name.split(/[/\\]/).includes("..")) throw new BadFileError(`The archive holds a member whose name leads outside it (${shown}).`);
}

/** A member name as a user may see it in a message: printable, and not endless. */
export function describeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = name.replace(/[\u0000-\u001f\u007f]/g, "?");
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
}

/** Refuses a name seen twice: programs disagree on which of the two they unpack, so one could carry what the other hides. */
export class NameSet {
  private readonly seen = new Set<string>();

  add(name: string): void {
    const key = name.replace(/\/+$/, "");
    if (this.seen.has(key)) throw new BadFileError(`The archive holds two members named ${describeName(name)}.`);
    this.seen.add(key);
  }
}
