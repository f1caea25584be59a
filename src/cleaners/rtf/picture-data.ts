import { BadFileError } from "../errors.js";

const DAMAGED_PICTURE = "The document holds a damaged picture.";

/**
 * The bytes of a `{\pict}` group's data: its hex digits (white space between them ignored, as
 * readers do), or the raw bytes of a `\bin` word, never both.
 */
export function pictureBytes(hex: readonly Buffer[], bin: readonly Buffer[]): Buffer {
  if (bin.length > 0) {
    if (hex.some((h) => /[^\s]/.test(h.toString("latin1")))) throw new BadFileError(DAMAGED_PICTURE, new Error("rtf: a picture with both hex and \\bin data"));
    return Buffer.concat(bin);
  }
  const digits = hex.map((h) => h.toString("latin1").replace(/\s+/g, "")).join("");
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) throw new BadFileError(DAMAGED_PICTURE, new Error("rtf: a picture's data is not whole hex bytes"));
  return Buffer.from(digits, "hex");
}

/** Picture data as RTF writes it: hex, in lines of 128 digits. */
export function pictureHex(bytes: Buffer): Buffer {
  const hex = bytes.toString("hex");
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 128) lines.push(hex.slice(i, i + 128));
  return Buffer.from(`\n${lines.join("\n")}\n`, "latin1");
}
