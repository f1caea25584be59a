import type { FoundTag } from "../types.js";

/**
 * What a raw decoder (dcraw, LibRaw, Adobe's DNG SDK) reads to turn the sensor data into a
 * picture, by ExifTool name: the TIFF layout of the raw and preview images, the camera's make
 * and model (decoders pick their colour tables and bit packing by them), the colour filter
 * layout, black and white levels, colour matrices and calibration, crop and scale, and DNG's
 * opcode lists. None of them says who took the picture, where or with which body.
 */
const DECODER_TAGS: ReadonlySet<string> = new Set([
  // TIFF layout of the raw data and of the previews next to it.
  "SubfileType", "OldSubfileType", "ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation",
  "FillOrder", "StripOffsets", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "XResolution", "YResolution",
  "PlanarConfiguration", "ResolutionUnit", "Predictor", "TileWidth", "TileLength", "TileOffsets", "TileByteCounts",
  "ExtraSamples", "SampleFormat", "JPEGTables", "YCbCrCoefficients", "YCbCrSubSampling", "YCbCrPositioning",
  "ReferenceBlackWhite", "ThumbnailOffset", "ThumbnailLength", "PreviewImageStart", "PreviewImageLength",
  "JpgFromRawStart", "JpgFromRawLength", "OtherImageStart", "OtherImageLength", "Orientation", "ExifByteOrder",
  "SubTileBlockSize", "RowInterleaveFactor",
  // Camera identity and sensor layout.
  "Make", "Model", "UniqueCameraModel", "CFARepeatPatternDim", "CFAPattern", "CFAPattern2", "CFAPlaneColor", "CFALayout",
  // Levels and linearisation.
  "BlackLevel", "BlackLevelRepeatDim", "BlackLevelDeltaH", "BlackLevelDeltaV", "WhiteLevel", "LinearizationTable",
  // Colour.
  "ColorMatrix1", "ColorMatrix2", "ColorMatrix3", "CameraCalibration1", "CameraCalibration2", "CameraCalibration3",
  "ReductionMatrix1", "ReductionMatrix2", "ReductionMatrix3", "ForwardMatrix1", "ForwardMatrix2", "ForwardMatrix3",
  "AnalogBalance", "AsShotNeutral", "AsShotWhiteXY", "CalibrationIlluminant1", "CalibrationIlluminant2",
  "CalibrationIlluminant3", "BaselineExposure", "BaselineExposureOffset", "BaselineNoise", "BaselineSharpness",
  "LinearResponseLimit", "ShadowScale", "DefaultBlackRender", "ColorimetricReference", "NoiseProfile",
  "ProfileHueSatMapDims", "ProfileHueSatMapData1", "ProfileHueSatMapData2", "ProfileHueSatMapData3",
  "ProfileHueSatMapEncoding", "ProfileLookTableDims", "ProfileLookTableData", "ProfileLookTableEncoding",
  "ProfileToneCurve", "ProfileEmbedPolicy", "DNGVersion", "DNGBackwardVersion",
  // Crop, scale and corrections.
  "DefaultScale", "DefaultCropOrigin", "DefaultCropSize", "DefaultUserCrop", "BestQualityScale", "ActiveArea",
  "MaskedAreas", "BayerGreenSplit", "AntiAliasStrength", "ChromaBlurRadius", "OpcodeList1", "OpcodeList2",
  "OpcodeList3", "RawImageDigest", "NewRawImageDigest",
]);

/**
 * Groups made of the raw container's own header, which decoders read whole (Fujifilm's RAF
 * header, Panasonic's raw IFD, a CR3's QuickTime track layout).
 */
const HEADER_GROUPS: ReadonlySet<string> = new Set(["RAF", "PanasonicRaw", "QuickTime"]);

/**
 * Groups whose tags may stay in a cleaned raw when they say nothing personal: the camera's
 * settings (exposure, focus, white balance) in EXIF and the maker notes, which raw decoders read
 * (white balance, sensor and lens data) and which cannot be told apart from the picture's needs.
 * XMP, IPTC, Photoshop, ICC and any group not listed here must be gone.
 */
const RETAINED_GROUPS: ReadonlySet<string> = new Set(["EXIF", "MakerNotes", ...HEADER_GROUPS]);

/**
 * Tag names that say who or where, or with which device instance: owner and author fields,
 * serial numbers, unique ids, GPS and place names, free text, face recognition data. They must
 * be gone (or blank) from a cleaned raw, else it is refused.
 */
const PERSONAL =
  /serial|owner|artist|author|creator|copyright|rights|credit|by-?line|name$|birthday|babyage|city|^state$|country|province|landmark|location|title|comment|description|keyword|caption|uniqueid|^imageid$|documentname|hostcomputer|^software$|^xp|gps|latitude|longitude|altitude|face|address|email|phone|url$/i;

/**
 * Tag names that say when: deleted wherever ExifTool can, but some maker notes keep a capture
 * time at a fixed place it cannot write (a CR3's timed metadata, a CRW's time stamp); those stay
 * and `remaining` shows them.
 */
const WHEN = /date|timestamp|timezone|offsettime|subsectime/i;

/**
 * The world-time cities a camera's clock is set to (Canon's time zone city, Pentax's home and
 * travel cities): settings, but they tell roughly where the owner lives, so they go like times.
 * Where they sit at a fixed place they are zeroed, which reads as the first city of the maker's
 * list (Pentax's "Pago Pago").
 */
const CLOCK_CITIES: ReadonlySet<string> = new Set(["TimeZoneCity", "HometownCity", "DestinationCity"]);

/**
 * Names the patterns above catch that only name a setting: which format a serial number has, the
 * folder naming scheme, whether the clock shows home or travel time, the clock's cities.
 */
const SETTINGS: ReadonlySet<string> = new Set(["SerialNumberFormat", "WorldTimeLocation", "FolderName", ...CLOCK_CITIES]);

/** True for a tag that must not keep a value in a cleaned raw. */
export function isPersonal(t: FoundTag): boolean {
  return PERSONAL.test(t.tag) && !DECODER_TAGS.has(t.tag) && !SETTINGS.has(t.tag);
}

/** True for a date or time stamp. */
export function isDate(t: FoundTag): boolean {
  return WHEN.test(t.tag);
}

/** True for a time, or a clock's city, that the cleaner removes where it can. */
export function isWhen(t: FoundTag): boolean {
  return isDate(t) || CLOCK_CITIES.has(t.tag);
}

/** Embedded previews stay (viewers show them); their own EXIF goes with the rest. */
const PREVIEWS: ReadonlySet<string> = new Set(["PreviewImage", "ThumbnailImage", "JpgFromRaw", "OtherImage"]);

/**
 * True for a value that says nothing: what ExifTool leaves in a field it cannot delete once
 * we have overwritten it (a maker-note serial number at a fixed place, a QuickTime date).
 */
export function isBlank(value: unknown): boolean {
  if (value == null) return true;
  if (typeof value === "number") return value === 0;
  if (typeof value !== "string") return false;
  // "1970:01:01 00:00:00" is a zero time stored as seconds since the epoch (CRW, some maker notes).
  return /^[\s0:.+\-]*$/.test(value) || value === "n/a" || /^1970:01:01 00:00:00(Z|[+-]00:00)?$/.test(value);
}

export function isDecoderTag(t: FoundTag): boolean {
  if (isPersonal(t)) return false;
  return (t.group === "EXIF" && DECODER_TAGS.has(t.tag)) || HEADER_GROUPS.has(t.group);
}

export function isRetainedTag(t: FoundTag): boolean {
  if (t.group === "File") return PREVIEWS.has(t.tag);
  return RETAINED_GROUPS.has(t.group) && (!isPersonal(t) || isBlank(t.value));
}
