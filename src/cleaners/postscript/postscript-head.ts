import { isDosEps } from "./dos-eps.js";

/**
 * Whether `bytes` start a PostScript file (EPS, PS, Illustrator's older files, DOS EPS) as
 * ExifTool tells one: it then reads the whole program, an XMP packet wherever it lies.
 */
export function isPostScriptHead(bytes: Buffer): boolean {
  const start = bytes.toString("latin1", 0, 4);
  return start === "%!PS" || start === "%!Ad" || isDosEps(bytes);
}
