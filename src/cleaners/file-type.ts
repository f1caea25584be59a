import type { RawTags } from "../metadata/read-task.js";

/** A camera raw that ExifTool, reading a file without its extension, reports as a plain TIFF. */
export const TIFF_RAW = "TIFF-based camera raw";
/** A camera raw (a DNG, say) stored as a BigTIFF, which ExifTool reads but cannot write. */
export const BIGTIFF_RAW = "BigTIFF camera raw";
/** Phase One's raw format, which ExifTool recognises only by its `.iiq` extension. */
export const IIQ = "IIQ";

/**
 * Fields that only a camera's raw sensor data carries (TIFF/EP and DNG colour filter layout; EXIF's
 * own CFAPattern is not one: camera JPEGs and TIFFs describe their sensor with it too).
 */
const CFA_TAGS = ["EXIF:CFARepeatPatternDim", "EXIF:CFAPattern2", "EXIF:CFAPlaneColor", "EXIF:CFALayout", "EXIF:DNGVersion"];
const RAW_PHOTOMETRIC: ReadonlySet<unknown> = new Set(["Color Filter Array", "Linear Raw", 32803, 34892]);
/** Phase One and Leaf keep the sensor data and its calibration inside their maker notes. */
const PHASE_ONE_TAGS = ["MakerNotes:RawData", "MakerNotes:RawFormat", "MakerNotes:SensorCalibration"];

const SVG_NS = "http://www.w3.org/2000/svg";

/** OpenDocument templates by the `mimetype` entry ExifTool reports for them as a plain ZIP. */
export const ODF_TEMPLATE_MIME_TYPES: Readonly<Record<string, string>> = {
  OTT: "application/vnd.oasis.opendocument.text-template",
  OTS: "application/vnd.oasis.opendocument.spreadsheet-template",
  OTP: "application/vnd.oasis.opendocument.presentation-template",
  OTG: "application/vnd.oasis.opendocument.graphics-template",
};
/**
 * OpenDocument packages ExifTool reports as a plain ZIP, by their `mimetype` entry: the templates
 * (cleaned as the documents they are), and a LibreOffice Base database (ODB: its connection
 * settings, user name and embedded database are no document this service cleans; named, it gets
 * the contract's refusal for its type rather than the ZIP cleaner's for members it cannot clean).
 */
const ODF_BY_MIME_TYPE = new Map<string, string>([
  ...Object.entries(ODF_TEMPLATE_MIME_TYPES).map(([type, mime]): [string, string] => [mime, type]),
  ["application/vnd.oasis.opendocument.base", "ODB"],
]);

/**
 * The file's type as the cleaners see it: ExifTool's FileType, except that an SVG is told apart
 * from other XML by its root element, not only by its first 256 bytes as ExifTool does (an SVG
 * after a long comment or processing instruction, or any UTF-16 one written by an editor, comes out
 * as "XML": its root then shows as ExifTool's `SvgXmlns`), and that a "TIFF" holding a
 * camera's raw sensor data is told apart. ExifTool names most raws by their bytes (CR2, NEF,
 * ARW, PEF, RW2, ORF...), but a Phase One IIQ, or an uncompressed raw whose compression code
 * is plain TIFF's, comes out as "TIFF" when the file has no extension, as ours never has; the
 * TIFF cleaner would then keep only the small picture in IFD0 and drop the raw data, or keep the
 * sensor data without the colour filter layout that decodes it; so would it a raw written as a
 * BigTIFF ("BTF": a DNG with 64-bit offsets, which DNG does not define but some tools write). An
 * OpenDocument template, whose `mimetype` ExifTool does not know, is a "ZIP" to it: it is named
 * after that entry (OTT, OTS, OTP, OTG) and cleaned as the document it is; so is a Base database
 * (ODB), which no cleaner handles. (Office 97-2003
 * files are named by their streams as they are read: metadata/compound-types.ts.)
 */
export function fileTypeOf(tags: RawTags): string | null {
  const type = tags["File:FileType"];
  if (typeof type !== "string") return null;
  if (type === "XML" && tags["XMP:SvgXmlns"] === SVG_NS) return "SVG";
  if (type === "ZIP") return ODF_BY_MIME_TYPE.get(String(tags["File:MIMEType"])) ?? type;
  if (type !== "TIFF" && type !== "BTF") return type;
  const raw = CFA_TAGS.some((k) => k in tags) || RAW_PHOTOMETRIC.has(tags["EXIF:PhotometricInterpretation"]);
  if (type === "BTF") return raw ? BIGTIFF_RAW : type;
  if (PHASE_ONE_TAGS.some((k) => k in tags)) return IIQ;
  return raw ? TIFF_RAW : type;
}
