import { DAMAGED_COMPOUND, ENCRYPTED_OFFICE, OLE_OBJECT, VBA_PROJECT } from "../metadata/compound-types.js";
import { RMID } from "../metadata/rmid-fields.js";
import { BIGTIFF_RAW, IIQ, TIFF_RAW } from "./file-type.js";
import type { Cleaner } from "./types.js";

interface Entry {
  /** The types the cleaner lists (`Cleaner.fileTypes`), known here without loading its modules. */
  readonly fileTypes: readonly string[];
  readonly load: () => Promise<Cleaner>;
}

/**
 * The explicit map from a detected file type to its cleaner (a plain list, as imgproxy's type
 * registry). A type that no entry lists gets the contract's 422. A cleaner's modules are imported
 * on the first file of its types, in each task process that meets one: one that cleans JPEGs loads
 * the JPEG cleaner's dozen modules, not the ~230 of every family, whose loading cost each new
 * worker ~200 ms of CPU (bench/results-notes.md, "Cold worker threads").
 */
const entries: readonly Entry[] = [
  { fileTypes: ["JPEG", "JPS"], load: async () => (await import("./image/jpeg.js")).jpegCleaner },
  { fileTypes: ["PNG", "APNG"], load: async () => (await import("./image/png.js")).pngCleaner },
  { fileTypes: ["TIFF", "BTF"], load: async () => (await import("./image/tiff.js")).tiffCleaner },
  { fileTypes: ["GIF"], load: async () => (await import("./image/gif.js")).gifCleaner },
  { fileTypes: ["WEBP", "WEBP (lossless)", "Extended WEBP", "Extended WEBP (lossless)"], load: async () => (await import("./image/webp.js")).webpCleaner },
  { fileTypes: ["HEIC", "HEIF", "AVIF", "HEIFS"], load: async () => (await import("./image/heif.js")).heifCleaner },
  { fileTypes: ["SVG"], load: async () => (await import("./image/svg.js")).svgCleaner },
  { fileTypes: ["PSD", "PSB"], load: async () => (await import("./image/psd.js")).psdCleaner },
  { fileTypes: ["JP2", "JPX", "JXL"], load: async () => (await import("./image/jpeg2000.js")).jpeg2000Cleaner },
  { fileTypes: ["J2C"], load: async () => (await import("./image/j2c.js")).j2cCleaner },
  { fileTypes: ["JXL Codestream"], load: async () => (await import("./image/jpeg2000.js")).jxlCodestreamCleaner },
  { fileTypes: ["BMP"], load: async () => (await import("./image/bmp.js")).bmpCleaner },
  { fileTypes: ["ICO", "CUR"], load: async () => (await import("./image/ico.js")).icoCleaner },
  { fileTypes: ["PBM", "PGM", "PPM"], load: async () => (await import("./image/netpbm.js")).netpbmCleaner },
  { fileTypes: ["JXR", "HDP", "WDP"], load: async () => (await import("./image/jxr.js")).jxrCleaner },
  { fileTypes: ["PCX"], load: async () => (await import("./image/pcx.js")).pcxCleaner },
  { fileTypes: ["EXR"], load: async () => (await import("./image/exr.js")).exrCleaner },
  { fileTypes: ["TGA"], load: async () => (await import("./image/tga.js")).tgaCleaner },
  { fileTypes: ["HDR"], load: async () => (await import("./image/radiance.js")).radianceCleaner },
  { fileTypes: ["DDS"], load: async () => (await import("./image/dds.js")).ddsCleaner },
  { fileTypes: ["EMF", "WMF"], load: async () => (await import("./image/metafile.js")).metafileCleaner },
  { fileTypes: ["SVM"], load: async () => (await import("./image/svm.js")).svmCleaner },
  { fileTypes: ["XMP"], load: async () => (await import("./image/xmp-sidecar.js")).xmpSidecarRefusal },
  { fileTypes: ["PDF", "AI"], load: async () => (await import("./pdf/pdf.js")).pdfCleaner },
  { fileTypes: ["EPS", "PS"], load: async () => (await import("./postscript/index.js")).postscriptCleaner },
  { fileTypes: ["MP3"], load: async () => (await import("./media/mp3.js")).mp3Cleaner },
  { fileTypes: ["AAC"], load: async () => (await import("./media/aac.js")).aacCleaner },
  { fileTypes: ["FLAC"], load: async () => (await import("./media/flac.js")).flacCleaner },
  { fileTypes: ["WAV"], load: async () => (await import("./media/wav.js")).wavCleaner },
  { fileTypes: ["MP4", "M4A", "M4V", "3GP", "3G2", "MOV"], load: async () => (await import("./media/containers.js")).quickTimeCleaner },
  { fileTypes: ["MKV", "WEBM", "MKA"], load: async () => (await import("./media/containers.js")).matroskaCleaner },
  { fileTypes: ["AVI"], load: async () => (await import("./media/containers.js")).aviCleaner },
  { fileTypes: ["OGG", "OGV", "OPUS"], load: async () => (await import("./media/containers.js")).oggCleaner },
  { fileTypes: ["AIFF", "AIFC"], load: async () => (await import("./media/aiff.js")).aiffCleaner },
  { fileTypes: ["APE", "MPC", "TTA"], load: async () => (await import("./media/tagged-audio.js")).taggedAudioCleaner },
  { fileTypes: ["DSF"], load: async () => (await import("./media/dsf.js")).dsfCleaner },
  { fileTypes: ["DFF"], load: async () => (await import("./media/dsdiff.js")).dsdiffCleaner },
  { fileTypes: ["CAF"], load: async () => (await import("./media/caf.js")).cafCleaner },
  { fileTypes: ["MIDI"], load: async () => (await import("./media/midi.js")).midiCleaner },
  { fileTypes: [RMID], load: async () => (await import("./media/rmid.js")).rmidCleaner },
  { fileTypes: ["AU"], load: async () => (await import("./media/au.js")).auCleaner },
  { fileTypes: ["WV"], load: async () => (await import("./media/wavpack.js")).wavPackCleaner },
  { fileTypes: ["ASF", "WMA", "WMV", "DIVX"], load: async () => (await import("./media/asf.js")).asfCleaner },
  { fileTypes: ["FLV"], load: async () => (await import("./media/flv.js")).flvCleaner },
  { fileTypes: ["M2T", "M2TS"], load: async () => (await import("./media/mpeg-ts.js")).mpegTsCleaner },
  { fileTypes: ["MPEG"], load: async () => (await import("./media/mpeg-ps.js")).mpegPsCleaner },
  { fileTypes: ["DV"], load: async () => (await import("./media/dv.js")).dvCleaner },
  { fileTypes: ["H264", "HEVC"], load: async () => (await import("./media/bare-video.js")).annexBCleaner },
  { fileTypes: ["DOCX", "DOTX", "XLSX", "XLTX", "XLSB", "PPTX", "POTX", "PPSX"], load: async () => (await import("./office/ooxml.js")).ooxmlCleaner },
  {
    fileTypes: ["ODT", "ODS", "ODP", "ODG", "ODF", "ODC", "OTT", "OTS", "OTP", "OTG"],
    load: async () => (await import("./office/opendocument.js")).openDocumentCleaner,
  },
  {
    fileTypes: ["DOC", "DOT", "XLS", "XLT", "PPT", "PPS", "POT", OLE_OBJECT],
    load: async () => (await import("./legacy-office/index.js")).legacyOfficeCleaner,
  },
  { fileTypes: [ENCRYPTED_OFFICE], load: async () => (await import("./legacy-office/encrypted.js")).encryptedOfficeRefusal },
  { fileTypes: [DAMAGED_COMPOUND], load: async () => (await import("./legacy-office/damaged.js")).damagedCompoundRefusal },
  { fileTypes: [VBA_PROJECT], load: async () => (await import("./legacy-office/macros.js")).vbaProjectRefusal },
  { fileTypes: ["RTF"], load: async () => (await import("./rtf/index.js")).rtfCleaner },
  { fileTypes: ["HTML", "XHTML"], load: async () => (await import("./web/html.js")).htmlCleaner },
  { fileTypes: ["TXT"], load: async () => (await import("./text/plain-text.js")).plainTextCleaner },
  { fileTypes: ["URL"], load: async () => (await import("./text/ass-script.js")).assScriptCleaner },
  { fileTypes: ["EPUB"], load: async () => (await import("./epub/index.js")).epubCleaner },
  { fileTypes: ["ZIP"], load: async () => (await import("./archive/zip.js")).zipArchiveCleaner },
  { fileTypes: ["TAR", "GZIP"], load: async () => (await import("./archive/tar.js")).tarArchiveCleaner },
  {
    fileTypes: ["DNG", "CR2", "CR3", "NEF", "NRW", "ARW", "SR2", "SRF", "RAF", "RW2", "RWL", "ORF", "ORI", "PEF", "MRW", "CRW", IIQ],
    load: async () => (await import("./raw/raw.js")).rawCleaner,
  },
  { fileTypes: [TIFF_RAW], load: async () => (await import("./raw/refusals.js")).rawTiffRefusal },
  { fileTypes: [BIGTIFF_RAW], load: async () => (await import("./raw/refusals.js")).rawBigTiffRefusal },
  { fileTypes: ["X3F"], load: async () => (await import("./raw/refusals.js")).x3fRefusal },
];

/** Whether a cleaner handles the type, without loading it. */
export function hasCleaner(fileType: string): boolean {
  return entryFor(fileType) != null;
}

/**
 * The type's cleaner, its modules imported on first use; null when no cleaner handles the type.
 * Rejects when the modules fail to load, or when the cleaner lists other types than its entry here
 * (a type added on one side only would otherwise be refused, or its cleaner never reached).
 */
export async function cleanerFor(fileType: string): Promise<Cleaner | null> {
  const entry = entryFor(fileType);
  if (entry == null) return null;
  const cleaner = await entry.load();
  if (!sameTypes(cleaner.fileTypes, entry.fileTypes)) {
    throw new Error(`the registry lists ${entry.fileTypes.join(", ")} for cleaner ${cleaner.name}, which handles ${cleaner.fileTypes.join(", ")}`);
  }
  return cleaner;
}

function entryFor(fileType: string): Entry | undefined {
  return entries.find((e) => e.fileTypes.includes(fileType));
}

function sameTypes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}
