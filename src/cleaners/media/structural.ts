import type { FoundTag } from "../types.js";

/**
 * What ExifTool still reads from a cleaned audio or video file that describes its streams and
 * container rather than carrying metadata. A whitelist per ExifTool group: anything not listed
 * here (a title, a GPS position, a date, an unknown atom) fails verification.
 */
const STRUCTURAL: Record<string, ReadonlySet<string>> = {
  // ISO BMFF / QuickTime: boxes the muxer writes for every file. `Unknown_*` are boxes ExifTool
  // has no name for but that ffmpeg always writes (edit list, codec configuration).
  QuickTime: new Set([
    "MajorBrand", "MinorVersion", "CompatibleBrands", "Free", "Wide", "Skip",
    "MediaDataSize", "MediaDataOffset", "MediaData",
    "MovieHeaderVersion", "TimeScale", "Duration", "PreferredRate", "PreferredVolume", "MatrixStructure",
    "PreviewTime", "PreviewDuration", "PosterTime", "SelectionTime", "SelectionDuration", "CurrentTime", "NextTrackID",
    "TrackHeaderVersion", "TrackID", "TrackDuration", "TrackLayer", "TrackVolume", "ImageWidth", "ImageHeight", "Rotation",
    "MediaHeaderVersion", "MediaTimeScale", "MediaDuration", "MediaLanguageCode",
    "HandlerClass", "HandlerType", "HandlerDescription", "HandlerVendorID",
    "GraphicsMode", "OpColor", "Balance",
    "CompressorID", "CompressorName", "VendorID", "SourceImageWidth", "SourceImageHeight", "XResolution", "YResolution",
    "BitDepth", "AVCConfiguration", "HEVCConfiguration", "PixelAspectRatio", "ColorProfiles", "ColorPrimaries",
    "TransferCharacteristics", "MatrixCoefficients", "VideoFullRangeFlag", "VideoFrameRate", "CleanApertureDimensions",
    "BufferSize", "MaxBitrate", "AverageBitrate",
    "SyncSampleTable", "CompositionTimeToSample", "TimeToSampleTable", "SampleToChunk", "SampleSizes",
    "ChunkOffset", "ChunkOffset64", "SampleGroupDescription", "SampleToGroup", "SampleDependencyTypes",
    "AudioFormat", "AudioChannels", "AudioBitsPerSample", "AudioSampleRate", "LayoutFlags", "AudioChannelTypes",
    // The `chan` box (a sound track's channel layout), which ffmpeg writes for QuickTime sound such as IMA4.
    "NumChannelDescriptions",
    // In a MOV's sound description, the `frma` box naming the original format.
    "PurchaseFileFormat",
    "OtherFormat", "TextFace", "TextSize", "TextColor", "BackgroundColor", "FontName", "DefaultTextBox", "FontSize",
    // Subtitle tracks (content, kept): their sample description, and the cues ExifTool reads
    // from them with -ee.
    "NullMediaHeader", "FontTable", "GenMediaVersion", "GenFlags", "GenGraphicsMode", "GenOpColor", "GenBalance",
    "Text", "SampleTime", "SampleDuration",
    "Unknown_edts", "Unknown_esds", "Unknown_mp4a", "Unknown_dOps", "Unknown_sgpd", "Unknown_btrt",
    // HEVC and AV1/VP9 codec configuration (hvcC's SEI arrays are cleaned by sei.ts), the `fiel`
    // box (interlacing) and `sdtp` (which samples others depend on), ExifTool spelling kept.
    "Unknown_hvcC", "Unknown_av1C", "Unknown_vpcC", "VideoFieldOrder", "IdependentAndDisposableSamples",
    // The track aperture modes (`tapt`: clean, production and encoded pixels dimensions, QuickTime
    // File Format), which ffmpeg's MOV muxer writes for anamorphic video (a pixel aspect other than
    // 1:1, as DV, IMX and XDCAM have): ExifTool reads each as three 32-bit fixed-point numbers.
    "ProductionApertureDimensions", "EncodedPixelsDimensions",
    // `stps`: the key frames of an open GOP (MPEG-2), sample numbers only.
    "PartialSyncSamples",
  ]),
  Matroska: new Set([
    "EBMLVersion", "EBMLReadVersion", "EBMLMaxIDLength", "EBMLMaxSizeLength", "DocType", "DocTypeVersion",
    "DocTypeReadVersion", "CRC-32", "Void", "SeekID", "SeekPosition", "TimecodeScale", "Duration",
    "TrackNumber", "TrackUID", "TrackType", "TrackDefault", "TrackForced", "TrackLacing", "TrackLanguage",
    // VideoCodecID: a video track's codec ID as ExifTool names it for Video for Windows codecs
    // (V_MS/VFW/FOURCC, as DV has in Matroska).
    "CodecID", "VideoCodecID", "CodecPrivate", "DefaultDuration", "VideoFrameRate", "ImageWidth", "ImageHeight",
    "DisplayWidth", "DisplayHeight", "DisplayUnit", "AspectRatioType", "VideoScanType",
    "AudioSampleRate", "OutputAudioSampleRate", "AudioChannels", "AudioBitsPerSample",
    "CueTime", "CueTrack", "CueClusterPosition", "CueBlockNumber",
    // The per-track DURATION tag ffmpeg's Matroska muxer always writes, and its target.
    "TagTrackUID",
    // Elements ExifTool has no name for: CueRelativePosition (0xF0), SeekPreRoll (0x56BB),
    // CodecDelay (0x56AA), CueDuration (0xB2), Colour (0x55B0).
    "Matroska_0x0070", "Matroska_0x16bb", "Matroska_0x16aa", "Matroska_0x0032", "Matroska_0x15b0",
  ]),
  RIFF: new Set([
    // NumberOfSamples: a WAV's `fact` chunk, which compressed formats need.
    "Encoding", "NumChannels", "SampleRate", "AvgBytesPerSec", "BitsPerSample", "NumberOfSamples",
    "FrameRate", "MaxDataRate", "FrameCount", "StreamCount", "ImageWidth", "ImageHeight", "StreamType",
    "VideoCodec", "VideoFrameRate", "VideoFrameCount", "AudioCodec", "AudioSampleRate", "AudioSampleCount",
    "Quality", "SampleSize", "TotalFrameCount", "Unknown_JUNK", "Unknown_vprp",
  ]),
  MPEG: new Set([
    "MPEGAudioVersion", "AudioLayer", "AudioBitrate", "SampleRate", "ChannelMode", "MSStereo", "IntensityStereo",
    "CopyrightFlag", "OriginalMedia", "Emphasis", "ModeExtension",
    // The Xing/LAME header is itself the first audio frame: it holds the seek table and the
    // encoder delay and padding that decoders trim, so dropping it would change the sound.
    "VBRFrames", "VBRBytes", "VBRScale", "Encoder", "LameVBRQuality", "LameQuality", "LameHeader", "LameMethod",
    "LameLowPassFilter", "LameBitrate", "LameStereoMode",
  ]),
  FLAC: new Set([
    "BlockSizeMin", "BlockSizeMax", "FrameSizeMin", "FrameSizeMax", "SampleRate", "Channels", "BitsPerSample",
    "TotalSamples", "MD5Signature",
    // Sample numbers and offsets of frames, which the cleaner keeps for seeking (libFLAC writes
    // one into nearly every file).
    "SeekTable",
  ]),
  Vorbis: new Set(["VorbisVersion", "AudioChannels", "SampleRate", "NominalBitrate", "MaximumBitrate", "MinimumBitrate"]),
  Opus: new Set(["OpusVersion", "AudioChannels", "SampleRate", "OutputGain"]),
  // Theora's identification header (Ogg video): the picture's size, region, rate, aspect, colour
  // space, bitrate, quality and pixel format, numbers only (its comment header is Vorbis's).
  Theora: new Set([
    "TheoraVersion", "ImageWidth", "ImageHeight", "XOffset", "YOffset", "FrameRate", "PixelAspectRatio",
    "ColorSpace", "NominalVideoBitrate", "Quality", "PixelFormat",
  ]),
  // Raw DV: what ExifTool reads from the header block and the video and audio source packs, which
  // dv.ts keeps (the date, time code and camera packs go).
  DV: new Set([
    "ImageWidth", "ImageHeight", "Duration", "TotalBitrate", "VideoFormat", "VideoScanType", "FrameRate", "AspectRatio",
    "Colorimetry", "AudioChannels", "AudioSampleRate", "AudioBitsPerSample",
  ]),
};

/**
 * Tags that are structural only with the neutral value our muxers write: a real date or an
 * encoder's name and version in the same field is metadata.
 */
const NEUTRAL_VALUES: Record<string, Record<string, ReadonlySet<string | number>>> = {
  QuickTime: {
    ...Object.fromEntries(
      ["CreateDate", "ModifyDate", "TrackCreateDate", "TrackModifyDate", "MediaCreateDate", "MediaModifyDate"].map((t) => [
        t,
        new Set(["0000:00:00 00:00:00"]),
      ]),
    ),
    // ALAC's codec configuration (ExifTool has no name for it): 24 bytes of numbers after the
    // version; a longer box could carry anything.
    Unknown_alac: new Set(["(Binary data 28 bytes, use -b option to extract)"]),
    // AMR's configuration names its encoder's maker and version: the box rewrite blanks both,
    // ffmpeg's remux writes its own name.
    EncoderVendor: new Set(["", "FFMP"]),
    // H.263's configuration (unnamed by ExifTool): the same maker and version, blanked or
    // ffmpeg's, then level and profile; a longer box could carry anything.
    Unknown_d263: new Set(["(Binary data 7 bytes, use -b option to extract)"]),
    // AC-3's and E-AC-3's configuration (dac3, ETSI TS 102 366 F.4: 3 bytes of stream numbers;
    // dec3, F.6: 5 bytes for the one independent substream of nearly every file); a longer box could carry anything.
    Unknown_dac3: new Set(["(Binary data 3 bytes, use -b option to extract)"]),
    Unknown_dec3: new Set(["(Binary data 5 bytes, use -b option to extract)"]),
    EncoderVersion: new Set([0]),
  },
  // Required elements; ffmpeg's bitexact mode writes its bare name, without a version.
  Matroska: { MuxingApp: new Set(["Lavf"]), WritingApp: new Set(["Lavf"]) },
  // The Ogg comment header (mandatory) must name a vendor; ffmpeg's bitexact value is neutral.
  Vorbis: { Vendor: new Set(["ffmpeg"]) },
};

export function isMediaStructural(t: FoundTag): boolean {
  if (STRUCTURAL[t.group]?.has(t.tag) === true) return true;
  const neutral = NEUTRAL_VALUES[t.group]?.[t.tag];
  return neutral != null && (typeof t.value === "string" || typeof t.value === "number") && neutral.has(t.value);
}

/**
 * The QuickTime cleaner's copies (containers.ts) may also hold `glbl` boxes, MPEG-1/2 video's
 * headers as ffmpeg's remux writes them: every one is cleaned there (mov-global-headers.ts) or
 * the copy refused, and the box rewrite keeps none. Not so in a HEIF sequence's movie, which
 * ExifTool's rewrite may carry along whole: the HEIF cleaner does not take this test.
 */
export function isQuickTimeStructural(t: FoundTag): boolean {
  return isMediaStructural(t) || (t.group === "QuickTime" && t.tag === "Unknown_glbl");
}
