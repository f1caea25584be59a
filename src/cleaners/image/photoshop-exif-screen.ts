import { checkTiffBytes, type TiffTally } from "./tiff-screen.js";

/** Photoshop's EXIF resource (EXIFInfo): a TIFF structure that ExifTool reads as it reads any EXIF block. */
const EXIF_RESOURCE = 0x0422;
/** Resource block signatures ExifTool reads (Photoshop.pm: '8BIM', and the rare others it knows). */
const SIGNATURES = new Set(["8BIM", "PHUT", "DCSR", "AgHg", "MeSa"]);

/**
 * Counts into `tally` the EXIF blocks of Photoshop image resources (an IRB: a PNG's raw '8bim' or
 * 'iptc' profile, a JPEG's APP13 segments put together), walked as ExifTool's ProcessPhotoshop
 * walks them: each block's signature, id, Pascal name (padded to an even length) and size; the
 * walk stops where ExifTool's does (an unknown signature, a block running past the end). ExifTool
 * reads every EXIF resource as a block of its own: twenty such resources of a maker note of 16,000
 * entries in a PNG's profiles took it as long as twenty EXIF profiles.
 */
export async function checkPhotoshopExif(irb: Buffer, tally: TiffTally): Promise<void> {
  for (let at = 0; at + 8 < irb.length; ) {
    if (!SIGNATURES.has(irb.toString("latin1", at, at + 4))) return;
    const id = irb.readUInt16BE(at + 4);
    const nameLength = irb[at + 6]!;
    const sizeAt = at + 7 + nameLength + (nameLength & 1 ? 0 : 1);
    if (sizeAt + 4 > irb.length) return;
    const size = irb.readUInt32BE(sizeAt);
    const dataAt = sizeAt + 4;
    if (dataAt + size > irb.length) return;
    if (id === EXIF_RESOURCE) await checkTiffBytes(irb.subarray(dataAt, dataAt + size), tally);
    at = dataAt + size + (size & 1);
  }
}
