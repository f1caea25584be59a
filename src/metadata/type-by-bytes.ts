import { isPngHead } from "../cleaners/image/png-chunks.js";

/** ISO BMFF major brands and the FileType ExifTool gives them (QuickTime.pm's ftyp lookup). */
const BRANDS: Readonly<Record<string, string>> = {
  isom: "MP4", iso2: "MP4", mp41: "MP4", mp42: "MP4", avc1: "MP4", "M4A ": "M4A", "M4V ": "M4V", "qt  ": "MOV", "3gp4": "3GP", "3gp5": "3GP", "3gp6": "3GP",
  heic: "HEIC", mif1: "HEIF", avif: "AVIF",
};

/**
 * The ExifTool FileType a file's first bytes (`head`, at least 12 unless the file is shorter) make
 * all but certain (a JPEG's SOI and marker, PNG's signature, an MP4/MOV/HEIF's `ftyp` brand, a
 * PDF's `%PDF-` header), or null. A guess only: ExifTool's read stays the one that decides (see
 * pipeline.ts; an Illustrator file, say, starts like a PDF and ExifTool names it AI).
 */
export function likelyFileType(head: Buffer): string | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "JPEG";
  if (isPngHead(head)) return "PNG";
  if (head.toString("latin1", 0, 5) === "%PDF-") return "PDF";
  if (head.length >= 12 && head.toString("latin1", 4, 8) === "ftyp") return BRANDS[head.toString("latin1", 8, 12)] ?? null;
  return null;
}
