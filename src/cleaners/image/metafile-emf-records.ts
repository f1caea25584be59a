import { type Fields, utf16z } from "./metafile-fields.js";

/**
 * The EMF records a reader draws from ([MS-EMF] 2.1.1 and 2.3), each with the bytes it needs at
 * least and the fields it reads: a record of any other type is dropped, and bytes past a record's
 * fields become zeros (metafile-emf.ts). Header, comment and end-of-file records are handled
 * there. Escapes to printer drivers (DRAWESCAPE, EXTESCAPE, NAMEDESCAPE) and OpenGL records carry
 * data no reader draws from and are not listed, so they go.
 */
export interface EmfRecordType {
  min: number;
  /** The fields read, once `min` bytes are there; only [0, min) when absent. */
  fields?: (r: Buffer) => Fields;
  /** Where the record's bitmaps are given (offBmi, cbBmi, offBits, cbBits), and where each says what its colour table holds (colours when null). */
  bitmaps?: ReadonlyArray<readonly [at: number, usageAt: number | null]>;
}

const u32 = (r: Buffer, at: number): number => r.readUInt32LE(at);

/** Points after a 16-byte bounds and a count at 24, of `width` bytes each (8 for 32-bit, 4 for 16-bit), plus a byte each in POLYDRAW. */
const poly = (width: number): EmfRecordType => ({ min: 28, fields: (r) => [[0, 28 + width * u32(r, 24)]] });
/** A count of polygons at 24, their points' count at 28, then each polygon's count and the points. */
const polyPoly = (width: number): EmfRecordType => ({ min: 32, fields: (r) => [[0, 32 + 4 * u32(r, 24) + width * u32(r, 28)]] });
/** Region data of the size at `sizeAt`, right after `min` bytes. */
const region = (min: number, sizeAt: number): EmfRecordType => ({ min, fields: (r) => [[0, min + u32(r, sizeAt)]] });

/** A bitmap's header and bits by their offsets and sizes at `at` (offBmi, cbBmi, offBits, cbBits). */
function bitmap(r: Buffer, at: number): Fields {
  return [
    [u32(r, at), u32(r, at) + u32(r, at + 4)],
    [u32(r, at + 8), u32(r, at + 8) + u32(r, at + 12)],
  ];
}
const withBitmaps = (min: number, ...bitmaps: Array<readonly [number, number]>): EmfRecordType => ({
  min,
  fields: (r) => [[0, min], ...bitmaps.flatMap(([at]) => bitmap(r, at))],
  bitmaps,
});

const ETO_PDY = 0x2000;
const ETO_NO_RECT = 0x100;
const ETO_SMALL_CHARS = 0x200;

/** An EmrText object at `at` ([MS-EMF] 2.2.5): 40 bytes (LibreOffice and Windows always write its rectangle), the string and the spacing. */
function text(r: Buffer, at: number, charBytes: number): Fields {
  const chars = u32(r, at + 8);
  const options = u32(r, at + 16);
  const dx = u32(r, at + 36);
  return [
    [at, at + 40],
    [u32(r, at + 12), u32(r, at + 12) + chars * charBytes],
    ...(dx === 0 ? [] : [[dx, dx + chars * ((options & ETO_PDY) !== 0 ? 8 : 4)] as const]),
  ];
}
const extTextOut = (charBytes: number): EmfRecordType => ({ min: 76, fields: (r) => [[0, 36], ...text(r, 36, charBytes)] });
const polyTextOut = (charBytes: number): EmfRecordType => ({
  min: 40,
  fields: (r) => [[0, 40], ...Array.from({ length: Math.min(u32(r, 36), Math.floor(r.length / 40)) }, (_, i) => text(r, 40 + 40 * i, charBytes)).flat()],
});

/** A LogFont's fixed part and face name ([MS-EMF] 2.2.13), at `at`. */
const logFont = (r: Buffer, at: number): Fields => [[at, at + 28], utf16z(r, at + 28, 64)];

/**
 * EXTCREATEFONTINDIRECTW: a LogFont when the record has no room for more than a LogFontPanose
 * (the specification's rule), else a LogFontExDv: full name, style and script, then a design vector.
 */
function font(r: Buffer): Fields {
  if (r.length <= 12 + 320) return [[0, 12], ...logFont(r, 12)];
  const axes = r.length >= 12 + 348 + 8 ? u32(r, 12 + 348 + 4) : 0;
  return [[0, 12], ...logFont(r, 12), utf16z(r, 104, 128), utf16z(r, 232, 64), utf16z(r, 296, 64), [360, 368 + 4 * axes]];
}

const fixed = (min: number): EmfRecordType => ({ min });

export const EMF_RECORDS: ReadonlyMap<number, EmfRecordType> = new Map<number, EmfRecordType>([
  [2, poly(8)], // POLYBEZIER
  [3, poly(8)], // POLYGON
  [4, poly(8)], // POLYLINE
  [5, poly(8)], // POLYBEZIERTO
  [6, poly(8)], // POLYLINETO
  [7, polyPoly(8)], // POLYPOLYLINE
  [8, polyPoly(8)], // POLYPOLYGON
  [9, fixed(16)], // SETWINDOWEXTEX
  [10, fixed(16)], // SETWINDOWORGEX
  [11, fixed(16)], // SETVIEWPORTEXTEX
  [12, fixed(16)], // SETVIEWPORTORGEX
  [13, fixed(16)], // SETBRUSHORGEX
  [15, fixed(20)], // SETPIXELV
  [16, fixed(12)], // SETMAPPERFLAGS
  [17, fixed(12)], // SETMAPMODE
  [18, fixed(12)], // SETBKMODE
  [19, fixed(12)], // SETPOLYFILLMODE
  [20, fixed(12)], // SETROP2
  [21, fixed(12)], // SETSTRETCHBLTMODE
  [22, fixed(12)], // SETTEXTALIGN
  [23, fixed(32)], // SETCOLORADJUSTMENT
  [24, fixed(12)], // SETTEXTCOLOR
  [25, fixed(12)], // SETBKCOLOR
  [26, fixed(16)], // OFFSETCLIPRGN
  [27, fixed(16)], // MOVETOEX
  [28, fixed(8)], // SETMETARGN
  [29, fixed(24)], // EXCLUDECLIPRECT
  [30, fixed(24)], // INTERSECTCLIPRECT
  [31, fixed(24)], // SCALEVIEWPORTEXTEX
  [32, fixed(24)], // SCALEWINDOWEXTEX
  [33, fixed(8)], // SAVEDC
  [34, fixed(12)], // RESTOREDC
  [35, fixed(32)], // SETWORLDTRANSFORM
  [36, fixed(36)], // MODIFYWORLDTRANSFORM
  [37, fixed(12)], // SELECTOBJECT
  [38, fixed(28)], // CREATEPEN
  [39, fixed(24)], // CREATEBRUSHINDIRECT
  [40, fixed(12)], // DELETEOBJECT
  [41, fixed(28)], // ANGLEARC
  [42, fixed(24)], // ELLIPSE
  [43, fixed(24)], // RECTANGLE
  [44, fixed(32)], // ROUNDRECT
  [45, fixed(40)], // ARC
  [46, fixed(40)], // CHORD
  [47, fixed(40)], // PIE
  [48, fixed(12)], // SELECTPALETTE
  [49, { min: 16, fields: (r) => [[0, 16 + 4 * r.readUInt16LE(14)]] }], // CREATEPALETTE
  [50, { min: 20, fields: (r) => [[0, 20 + 4 * u32(r, 16)]] }], // SETPALETTEENTRIES
  [51, fixed(16)], // RESIZEPALETTE
  [52, fixed(8)], // REALIZEPALETTE
  [53, fixed(24)], // EXTFLOODFILL
  [54, fixed(16)], // LINETO
  [55, fixed(40)], // ARCTO
  [56, poly(9)], // POLYDRAW
  [57, fixed(12)], // SETARCDIRECTION
  [58, fixed(12)], // SETMITERLIMIT
  [59, fixed(8)], // BEGINPATH
  [60, fixed(8)], // ENDPATH
  [61, fixed(8)], // CLOSEFIGURE
  [62, fixed(24)], // FILLPATH
  [63, fixed(24)], // STROKEANDFILLPATH
  [64, fixed(24)], // STROKEPATH
  [65, fixed(8)], // FLATTENPATH
  [66, fixed(8)], // WIDENPATH
  [67, fixed(12)], // SELECTCLIPPATH
  [68, fixed(8)], // ABORTPATH
  [71, region(32, 24)], // FILLRGN
  [72, region(40, 24)], // FRAMERGN
  [73, region(28, 24)], // INVERTRGN
  [74, region(28, 24)], // PAINTRGN
  [75, region(16, 8)], // EXTSELECTCLIPRGN
  [76, withBitmaps(100, [84, 80])], // BITBLT
  [77, withBitmaps(108, [84, 80])], // STRETCHBLT
  [78, withBitmaps(128, [84, 80], [112, 108])], // MASKBLT
  [79, withBitmaps(140, [96, 92], [124, 120])], // PLGBLT
  [80, withBitmaps(76, [48, 64])], // SETDIBITSTODEVICE
  [81, withBitmaps(80, [48, 64])], // STRETCHDIBITS
  [82, { min: 104, fields: font }], // EXTCREATEFONTINDIRECTW
  [83, extTextOut(1)], // EXTTEXTOUTA
  [84, extTextOut(2)], // EXTTEXTOUTW
  [85, poly(4)], // POLYBEZIER16
  [86, poly(4)], // POLYGON16
  [87, poly(4)], // POLYLINE16
  [88, poly(4)], // POLYBEZIERTO16
  [89, poly(4)], // POLYLINETO16
  [90, polyPoly(4)], // POLYPOLYLINE16
  [91, polyPoly(4)], // POLYPOLYGON16
  [92, poly(5)], // POLYDRAW16
  [93, withBitmaps(32, [16, 12])], // CREATEMONOBRUSH
  [94, withBitmaps(32, [16, 12])], // CREATEDIBPATTERNBRUSHPT
  [95, { min: 52, fields: (r) => [[0, 52 + 4 * u32(r, 48)], ...bitmap(r, 12)], bitmaps: [[12, null]] }], // EXTCREATEPEN
  [96, polyTextOut(1)], // POLYTEXTOUTA
  [97, polyTextOut(2)], // POLYTEXTOUTW
  [98, fixed(12)], // SETICMMODE
  // CREATECOLORSPACE: the colour space's file name is a path on the author's disk, read by no renderer.
  [99, { min: 340, fields: () => [[0, 80]] }],
  [100, fixed(12)], // SETCOLORSPACE
  [101, fixed(12)], // DELETECOLORSPACE
  [104, fixed(48)], // PIXELFORMAT
  [108, { min: 36, fields: smallTextOut }], // SMALLTEXTOUT
  [109, fixed(16)], // FORCEUFIMAPPING
  [111, fixed(24)], // COLORCORRECTPALETTE
  [112, { min: 20, fields: (r) => [[0, 20 + u32(r, 12) + u32(r, 16)]] }], // SETICMPROFILEA
  [113, { min: 20, fields: (r) => [[0, 20 + u32(r, 12) + u32(r, 16)]] }], // SETICMPROFILEW
  [114, withBitmaps(108, [84, 80])], // ALPHABLEND
  [115, fixed(12)], // SETLAYOUT
  [116, withBitmaps(108, [84, 80])], // TRANSPARENTBLT
  [118, { min: 36, fields: (r) => [[0, 36 + 16 * u32(r, 24) + u32(r, 28) * (u32(r, 32) === 2 ? 12 : 8)]] }], // GRADIENTFILL
  [119, { min: 20, fields: (r) => [[0, 20 + 8 * u32(r, 8)]] }], // SETLINKEDUFIS
  [120, fixed(16)], // SETTEXTJUSTIFICATION
  [121, { min: 24, fields: (r) => [[0, 24 + u32(r, 16) + u32(r, 20)]] }], // COLORMATCHTOTARGETW
  // CREATECOLORSPACEW: as CREATECOLORSPACE, its file name goes; the profile data stays.
  [122, { min: 608, fields: (r) => [[0, 80], [600, 608 + u32(r, 604)]] }],
]);

/** SMALLTEXTOUT: its bounds only without ETO_NO_RECT, its characters 8-bit with ETO_SMALL_CHARS. */
function smallTextOut(r: Buffer): Fields {
  const chars = u32(r, 16);
  const options = u32(r, 20);
  const head = (options & ETO_NO_RECT) !== 0 ? 36 : 52;
  return [[0, head + chars * ((options & ETO_SMALL_CHARS) !== 0 ? 1 : 2)]];
}
