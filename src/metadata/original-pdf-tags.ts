import type { DecryptedPdf } from "../cleaners/pdf/decrypted-view.js";
import type { RawTags } from "./read-task.js";

/** The `/P` bits ExifTool names in `UserAccess` (PDF.pm's Encrypt table), by bit; the others it masks off. */
const USER_ACCESS: ReadonlyArray<[bit: number, name: string]> = [
  [2, "Print"],
  [3, "Modify"],
  [4, "Copy"],
  [5, "Annotate"],
  [8, "Fill forms"],
  [9, "Extract"],
  [10, "Assemble"],
  [11, "Print high-res"],
];
const NAMED_BITS = USER_ACCESS.reduce((mask, [bit]) => mask | (1 << bit), 0);

/**
 * A read of an encrypted PDF's decrypted view (decrypted-view.ts) with what ExifTool reads of the
 * original itself: its size, its `Linearized`, and its encryption's tags where ExifTool puts them
 * (after `Linearized`), as ExifTool writes them: `-n` (`numeric`) gives the size and the permission
 * bits as numbers and `Linearized` as a boolean.
 */
export function withOriginalPdfTags(tags: RawTags, original: DecryptedPdf, numeric: boolean): RawTags {
  const own: RawTags = { "PDF:Linearized": numeric ? original.linearized : original.linearized ? "Yes" : "No", "PDF:Encryption": original.encryption };
  if (original.permissions != null) own["PDF:UserAccess"] = numeric ? original.permissions & NAMED_BITS : userAccess(original.permissions);
  const out: RawTags = {};
  for (const [key, value] of Object.entries(tags)) {
    if (key in own) continue;
    out[key] = key === "File:FileSize" ? (numeric ? original.size : fileSize(original.size)) : value;
    if (key === "PDF:PDFVersion") Object.assign(out, own);
  }
  return "PDF:PDFVersion" in tags ? out : { ...out, ...own };
}

/** ExifTool's print conversion of the bits: their names, or "(none)". */
function userAccess(p: number): string {
  const names = USER_ACCESS.filter(([bit]) => (p & (1 << bit)) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(", ") : "(none)";
}

/** ExifTool's print conversion of a size (ExifTool.pm's ConvertFileSize, SI units): "5.6 kB". */
function fileSize(bytes: number): string {
  if (bytes < 2000) return `${bytes} bytes`;
  const [unit, power] = bytes < 2e6 ? ["kB", 3] : bytes < 2e9 ? ["MB", 6] : ["GB", 9];
  return `${perlFixed(bytes, power, bytes < 10 * 10 ** power ? 1 : 0)} ${unit}`;
}

/**
 * `bytes / 10^power` with `digits` decimals as Perl's sprintf writes it: as toFixed does, but a
 * value exactly halfway (which the quotient can only be where it is exact in binary, `bytes` a
 * multiple of 5^power) goes to the even digit, not up.
 */
function perlFixed(bytes: number, power: number, digits: number): string {
  const divisor = 10 ** power;
  const scaled = bytes * 10 ** digits;
  if (bytes % 5 ** power !== 0 || scaled % divisor !== divisor / 2) return (bytes / divisor).toFixed(digits);
  const down = Math.floor(scaled / divisor);
  return ((down % 2 === 0 ? down : down + 1) / 10 ** digits).toFixed(digits);
}
