import { archiveCleaners } from "./archive/index.js";
import { epubCleaner } from "./epub/index.js";
import { imageCleaners } from "./image/index.js";
import { aiffCleaner } from "./media/aiff.js";
import { asfCleaner } from "./media/asf.js";
import { flvCleaner } from "./media/flv.js";
import { mediaCleaners } from "./media/index.js";
import { mpegTsCleaner } from "./media/mpeg-ts.js";
import { taggedAudioCleaner } from "./media/tagged-audio.js";
import { damagedCompoundRefusal } from "./legacy-office/damaged.js";
import { encryptedOfficeRefusal } from "./legacy-office/encrypted.js";
import { legacyOfficeCleaner } from "./legacy-office/index.js";
import { officeCleaners } from "./office/index.js";
import { pdfCleaners } from "./pdf/index.js";
import { postscriptCleaner } from "./postscript/index.js";
import { rawCleaners } from "./raw/index.js";
import { rtfCleaner } from "./rtf/index.js";
import type { Cleaner } from "./types.js";

/**
 * The explicit map from a detected file type to its cleaner (a plain list, as imgproxy's type
 * registry). A type that no cleaner lists gets the contract's 422.
 */
export const cleaners: readonly Cleaner[] = [
  ...imageCleaners,
  ...pdfCleaners,
  postscriptCleaner,
  ...mediaCleaners,
  aiffCleaner,
  taggedAudioCleaner,
  asfCleaner,
  flvCleaner,
  mpegTsCleaner,
  ...officeCleaners,
  legacyOfficeCleaner,
  encryptedOfficeRefusal,
  damagedCompoundRefusal,
  rtfCleaner,
  epubCleaner,
  ...archiveCleaners,
  ...rawCleaners,
];

export function cleanerFor(fileType: string): Cleaner | null {
  return cleaners.find((c) => c.fileTypes.includes(fileType)) ?? null;
}
