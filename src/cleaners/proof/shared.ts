/** Why a cleaned file failed its structural proof (for the log; the client gets the usual sentence). */
export type ProofFailure = string;

/**
 * The only EXIF a cleaner writes: big-endian TIFF, one IFD0 entry (Orientation, SHORT, one value
 * 1-8), no next IFD, nothing else; 26 bytes.
 */
export function isOrientationOnlyExif(tiff: Buffer): boolean {
  if (tiff.length !== 26) return false;
  const head = Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1]);
  const value = tiff.readUInt16BE(18);
  return tiff.subarray(0, 18).equals(head) && value >= 1 && value <= 8 && tiff.readUInt16BE(20) === 0 && tiff.readUInt32BE(22) === 0;
}
