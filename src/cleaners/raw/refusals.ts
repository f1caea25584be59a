import { BIGTIFF_RAW, TIFF_RAW } from "../file-type.js";
import { refusal } from "../refusal.js";

// Camera raws the service recognises but cannot clean with proof that the picture stays intact.

/** A raw in a TIFF container whose make ExifTool cannot tell. */
export const rawTiffRefusal = refusal(
  "raw-tiff",
  [TIFF_RAW],
  "This is a camera raw photo stored in a TIFF container whose make the service cannot tell from its contents " +
    "(an uncompressed raw, for instance). Cleaning it as a plain TIFF would lose the raw picture data, so it is not " +
    "cleaned.",
);

/** A raw stored as a BigTIFF, which ExifTool cannot write. */
export const rawBigTiffRefusal = refusal(
  "raw-bigtiff",
  [BIGTIFF_RAW],
  "This is a camera raw photo (a DNG, for instance) stored as a BigTIFF, the TIFF form with 64-bit offsets. The service " +
    "rewrites camera raws with ExifTool, which cannot write BigTIFF, and cleaning it as a plain TIFF would lose what " +
    "decodes its raw picture data, so it is not cleaned.",
);

/** Sigma's X3F, which ExifTool cannot rewrite safely. */
export const x3fRefusal = refusal(
  "raw-x3f",
  ["X3F"],
  "This is a Sigma X3F camera raw photo. The service cannot rewrite this format without risk to the raw picture data, " +
    "so it does not clean it.",
);
