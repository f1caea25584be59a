/**
 * The record types of Excel 2007's numbering (below FUTURE_RECORDS) that an XLSB part may hold,
 * for the parts where metadata sits: the workbook (who reserved it, the folder it was saved in),
 * its comments (their authors) and its data connections (user names, paths). A record of another
 * such type there is damage: a length hit, and the bytes after it read out of step, the text they
 * hold (a path, a name) passing as records of no meaning. Taken from the parts' grammars in
 * [MS-XLSB] 2.1.7 with SheetJS's record table for the numbers, and checked against workbooks Excel
 * wrote (calamine's test files): each grammar lists every record of its part that is not one of
 * the future-record or alternate-content blocks later versions add theirs in.
 */

const BLOCKS = range(0x0023, 0x0026); // BrtFRTBegin, BrtFRTEnd, BrtACBegin, BrtACEnd

/** [MS-XLSB] 2.1.7.61 Workbook. */
const WORKBOOK: ReadonlySet<number> = new Set([
  ...BLOCKS,
  0x0027, // BrtName
  0x0080, // BrtFileVersion
  0x0083, 0x0084, // BrtBeginBook, BrtEndBook
  0x0087, 0x0088, 0x009e, // BrtBeginBookViews, BrtEndBookViews, BrtBookView
  0x008f, 0x0090, 0x009c, // BrtBeginBundleShs, BrtEndBundleShs, BrtBundleSh
  0x0099, 0x009a, 0x009b, 0x009d, // BrtWbProp, BrtWbFactoid, BrtFileRecover, BrtCalcProp
  ...range(0x0161, 0x016a), // BrtBeginExternals ... BrtExternSheet
  ...range(0x0180, 0x0183), // BrtBeginPivotCacheIDs ... BrtEndPivotCacheID
  0x018d, // BrtUserBookView
  0x0216, 0x02a5, // BrtBookProtection, BrtBookProtectionIso
  0x0224, 0x02a4, // BrtFileSharing, BrtFileSharingIso
  0x0225, 0x0229, // BrtOleSize, BrtWebOpt
  ...range(0x022a, 0x022d), // BrtBeginWebPubItems ... BrtEndWebPubItem
  ...range(0x0254, 0x0256), // BrtSmartTagType, BrtBeginSmartTagTypes, BrtEndSmartTagTypes
  ...range(0x0260, 0x0262), // BrtBeginCRErrs, BrtEndCRErrs, BrtCrashRecErr
  0x0271, // BrtBigName
  ...range(0x0298, 0x029b), // BrtBeginFnGroup, BrtFnGroup, BrtEndFnGroup, BrtSupAddin
]);

/** [MS-XLSB] 2.1.7.8 Comments. */
const COMMENTS: ReadonlySet<number> = new Set([
  ...BLOCKS,
  ...range(0x0274, 0x027d), // BrtBeginComments ... BrtCommentText
]);

/** [MS-XLSB] 2.1.7.24 Connections, its records checked against ONLYOFFICE's reader. */
const CONNECTIONS: ReadonlySet<number> = new Set([
  ...BLOCKS,
  ...range(0x0014, 0x0020), // BrtPCDIMissing ... BrtPCDIADatetime: a web query's tables
  ...range(0x00c9, 0x00ce), // BrtBeginExtConnection ... BrtEndECOlapProps
  ...range(0x0105, 0x010c), // BrtBeginECWebProps ... BrtEndECParam
  0x01ad, 0x01ae, // BrtBeginExtConnections, BrtEndExtConnections
  ...range(0x021a, 0x021e), // BrtBeginECTxtWiz ... BrtBeginECTwFldInfo
]);

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** By the names Excel gives the parts (the workbook's is named by the package's relationship, but Excel names it so). */
const GRAMMARS: readonly [RegExp, ReadonlySet<number>][] = [
  [/^xl\/workbook\.bin$/i, WORKBOOK],
  [/^xl\/comments\d*\.bin$/i, COMMENTS],
  [/^xl\/connections\.bin$/i, CONNECTIONS],
];

/** The record types of Excel 2007's numbering the part named `name` may hold, where its grammar is checked. */
export function classicRecordsOf(name: string): ReadonlySet<number> | undefined {
  return GRAMMARS.find(([part]) => part.test(name))?.[1];
}
