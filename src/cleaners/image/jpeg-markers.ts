/**
 * Marker codes (the byte after 0xFF) of JPEG and JPEG 2000 streams, and how ExifTool's JPEG
 * reader steps over them. ExifTool reads a JPEG 2000 codestream (a J2C file, a PDF's JPXDecode
 * picture with `-ee`) with its JPEG reader, so one table of its serves both; where a walk stops
 * (SOS, SOD, EOI) is each caller's, as it depends on how ExifTool was asked to read.
 */

export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;
export const APP0 = 0xe0;
export const APP1 = 0xe1;
export const APP2 = 0xe2;
export const APP3 = 0xe3;
export const APP11 = 0xeb;
export const APP14 = 0xee;
export const COM = 0xfe;

/** JPEG 2000 codestream markers (ISO/IEC 15444-1 A.2); the end of codestream is JPEG's EOI. */
export const J2C = { SOC: 0x4f, SIZ: 0x51, TLM: 0x55, CME: 0x64, SOT: 0x90, SOD: 0x93, EOC: EOI } as const;

/**
 * ExifTool's %markerLenBytes (Image::ExifTool, ProcessJPEG): markers read with no length field
 * (0: stuffed 0x00, TEM, RSTn, SOI, EOI, SOS, J2C's SOC, SOT's kin, EPH and SOD) and the J2C
 * extension segments whose length field is 4 bytes; every other marker's is 2.
 */
const LENGTH_FIELD: ReadonlyMap<number, 0 | 4> = new Map<number, 0 | 4>([
  ...[0x00, 0x01, ...range(0xd0, 0xd7), SOI, EOI, SOS, J2C.SOC, J2C.SOD, 0x92, ...range(0x30, 0x3f)].map((m): [number, 0] => [m, 0]),
  ...[0x74, 0x75, 0x77].map((m): [number, 4] => [m, 4]),
]);

/** Bytes of the length field after `marker` as ExifTool reads it: 0 for a marker without a segment. */
export function lengthFieldSize(marker: number): 0 | 2 | 4 {
  return LENGTH_FIELD.get(marker) ?? 2;
}

/**
 * The length of the segment whose length field (of `size` bytes) starts `field`, counted from that
 * field on, as ExifTool reads it; null where it stops reading: the field cut short, or a length
 * shorter than the field itself.
 */
export function segmentLength(field: Buffer, size: 2 | 4): number | null {
  if (field.length < size) return null;
  const length = size === 4 ? field.readUInt32BE(0) : field.readUInt16BE(0);
  return length < size ? null : length;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
