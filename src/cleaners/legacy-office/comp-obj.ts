import CFB from "cfb";
import { sameName } from "./stream-names.js";

/**
 * The `\x01CompObj` stream ([MS-OLEDS] 2.3.8) that says which program a document belongs to:
 * the neutral names Office 2007 and later register for the 97-2003 formats.
 */
const PROGRAMS: ReadonlyArray<{ stream: RegExp; userType: string; progId: string }> = [
  { stream: /^WordDocument$/i, userType: "Microsoft Word 97-2003 Document", progId: "Word.Document.8" },
  { stream: /^(Workbook|Book)$/i, userType: "Microsoft Excel 97-2003 Worksheet", progId: "Excel.Sheet.8" },
  { stream: /^PowerPoint Document$/i, userType: "Microsoft PowerPoint 97-2003 Presentation", progId: "PowerPoint.Show.8" },
];

/**
 * Whether a `\x01CompObj` stream names Microsoft Graph ("MSGraph.Chart.8", "MSGraph.Chart.5"):
 * its program id is plain ANSI text in the stream.
 */
export function isGraphChart(compObj: Buffer | null): boolean {
  return compObj != null && compObj.includes("MSGraph.Chart.");
}

/**
 * Gives a document that has no `\x01CompObj` stream of its own one naming its program. Without
 * it, what tells a reader such as ExifTool which program wrote the file is the Software field of
 * the SummaryInformation stream, which is dropped with the other document properties: a
 * PowerPoint file (PowerPoint writes no CompObj) would come back as a bare FlashPix file of no
 * known type. Names compare without case, as in [MS-CFB]. Resolves to whether one was added.
 */
export function nameProgram(doc: CFB.CFB$Container): boolean {
  const root = doc.FullPaths[0] ?? "";
  const topLevel = doc.FullPaths.filter((p) => p.startsWith(root) && !p.slice(root.length).replace(/\/$/, "").includes("/")).map((p) => p.slice(root.length));
  if (topLevel.some((name) => sameName(name, "\x01CompObj"))) return false;
  const program = PROGRAMS.find((p) => topLevel.some((name) => p.stream.test(name)));
  if (program == null) return false;
  const clsid = doc.FileIndex[0]?.clsid;
  CFB.utils.cfb_add(doc, "\x01CompObj", compObj(program.userType, program.progId, clsid != null ? Buffer.from(clsid) : Buffer.alloc(16)), { unsafe: true });
  return true;
}

/** Header (version, the root's class id), user type, no clipboard format, program id. */
function compObj(userType: string, progId: string, clsid: Buffer): Buffer {
  const header = Buffer.alloc(28);
  header.writeUInt32LE(0xfffe0001, 0);
  header.writeUInt32LE(0x00000a03, 4);
  header.writeInt32LE(-1, 8);
  clsid.copy(header, 12, 0, 16);
  return Buffer.concat([header, ansi(userType), Buffer.alloc(4), ansi(progId)]);
}

/** A LengthPrefixedAnsiString: its length with the terminating NUL, the text, the NUL. */
function ansi(text: string): Buffer {
  const bytes = Buffer.from(`${text}\0`, "latin1");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return Buffer.concat([length, bytes]);
}
