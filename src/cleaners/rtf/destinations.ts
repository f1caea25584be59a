/**
 * Which ignorable destinations (`{\*\name ...}`) a cleaned RTF keeps. A reader that does not know
 * such a group skips it whole (RTF 1.9.1, "Destinations"), so any writer can put anything there,
 * metadata included, and nothing shows it. Only the destinations known to carry the document's
 * layout or content stay (names from the RTF 1.9.1 specification and from what Word,
 * LibreOffice, WordPad and TextEdit write); every other one goes, its content unread.
 */
const LAYOUT_AND_CONTENT: ReadonlySet<string> = new Set([
  // Fields, form fields, bookmarks, hyperlinks, index and table-of-contents entries.
  "fldinst", "fldtype", "datafield", "formfield", "ffname", "ffdeftext", "ffformat", "ffhelptext", "ffstattext", "ffentrymcr", "ffexitmcr", "ffl",
  "bkmkstart", "bkmkend", "hl", "hlloc", "hlfr", "hlsrc", "xe", "tc", "tcn", "txe", "rxe", "bxe", "pxe",
  // Footnotes and their separators, the page background.
  "footnote", "ftnsep", "ftnsepc", "ftncn", "aftnsep", "aftnsepc", "aftncn", "background",
  // Shapes, pictures and drawing objects (their property values are judged by `keepsShapeProperty`).
  "shpinst", "shppict", "shprslt", "shptxt", "nonshppict", "picprop", "do", "dptxbxtext",
  // Nested tables, Unicode text beside its ANSI form, lists and paragraph numbering.
  "nesttableprops", "nestcell", "nestrow", "ud", "upr", "listtable", "listoverridetable", "listpicture", "listtext", "pn", "pnseclvl", "pntext", "pntxta", "pntxtb",
  // Styles, fonts, colours, themes, page styles (LibreOffice), line breaking rules.
  "cs", "ts", "ds", "latentstyles", "lsdlockedexcept", "defchp", "defpap", "pgptbl", "pgp", "falt", "panose", "fname", "fontemb", "fontfile",
  "keycode", "fchars", "lchars", "themedata", "colorschememapping", "expandedcolortbl", "wgrffmtfilter", "pgdsctbl", "pgdsc", "pgdscno",
  // The former properties of a tracked formatting change, kept with `keep=trackedChanges`.
  "oldcprops", "oldpprops", "oldsprops", "oldtprops",
]);

/** Word's equations (Office Math, RTF 1.9.1 "Math"): the math destinations and their properties. */
const MATH =
  /^m(math|mathPr|mathPict|oMath|oMathPara|oMathParaPr|r|rPr|f|fPr|num|den|e|sSub|sSubPr|sSup|sSupPr|sSubSup|sSubSupPr|sPre|sPrePr|sub|sup|deg|lim|limLow|limLowPr|limUpp|limUppPr|nary|naryPr|acc|accPr|bar|barPr|box|boxPr|borderBox|borderBoxPr|d|dPr|eqArr|eqArrPr|func|funcPr|fName|groupChr|groupChrPr|m|mPr|mr|mcs|mc|mcPr|phant|phantPr|rad|radPr|ctrlPr|argPr|begChr|endChr|sepChr|chr|type|pos|jc|baseJc|vertJc|mathFont|brkBin|brkBinSub|smallFrac|dispDef|lMargin|rMargin|defJc|preSp|postSp|interSp|intraSp|wrapIndent|wrapRight|intLim|naryLim|lit|nor|scr|sty|shp|show|transp|zeroAsc|zeroDesc|zeroWid|grow|hideTop|hideBot|hideLeft|hideRight|strikeH|strikeV|strikeBLTR|strikeTLBR|degHide|subHide|supHide|opEmu|noBreak|diff|diffSty|aln|alnScr|brk|count|cGp|cGpRule|cSp|rSp|rSpRule|mcJc|maxdist|objDist|plcHide|limloc)$/;

/** True for an ignorable destination a cleaned RTF keeps. */
export function keepsIgnorable(name: string): boolean {
  return LAYOUT_AND_CONTENT.has(name) || MATH.test(name);
}

/**
 * Shape properties (`{\sp{\sn name}{\sv value}}`, [MS-ODRAW] 2.3) that name a file on the
 * author's disk or a person: a linked picture's path and its printing path, a fill or line
 * picture's path, a signature line's suggested signer, their title and e-mail address. The
 * picture itself is in the document (`\pib`, `\fillBlip`), so the shape shows the same without
 * them. The shape's name and alternative text (`wzName`, `wzDescription`, `wzTitle`) are what
 * its author wrote for readers, kept as a DOCX keeps them.
 */
const SHAPE_PATHS_AND_PEOPLE: ReadonlySet<string> = new Set([
  "pibName", "pibPrintName", "fillBlipName", "lineFillBlipName", "wzSigSetupSuggSigner", "wzSigSetupSuggSigner2", "wzSigSetupSuggSignerEmail",
]);

export function keepsShapeProperty(name: string): boolean {
  return !SHAPE_PATHS_AND_PEOPLE.has(name);
}
