import { editPackage } from "./make-local-links.js";
import { OD, XML, rels } from "./make-office.js";
import { pivotWorkbook } from "./make-pivot-xls.js";

/**
 * LibreOffice's XLSX with a pivot table (make-pivot-xls.ts), given by hand what Excel writes of
 * the person behind a workbook's data, each field holding `m`: who last refreshed the pivot cache
 * (with when), who reserved the workbook (`fileSharing`), the data connections of
 * `xl/connections.xml` (an ODBC string with a user, password, machine and database path, and a
 * user under a key one bit away from `User ID`, as in a damaged file (fuzz seed 1531242701), an OLE
 * DB string holding an ODBC one in its Extended Properties, a connection file's path, a text
 * file's path), an external link to a workbook in the user's folder, whose value a cell shows, and
 * a DDE link to a sheet of a workbook there.
 */
export const CONNECTIONS = "xl/connections.xml";
export const PIVOT_CACHE_PART = "xl/pivotCache/pivotCacheDefinition1.xml";
export const LINK_RELS = "xl/externalLinks/_rels/externalLink1.xml.rels";
export const DDE_LINK = "xl/externalLinks/externalLink2.xml";
const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/** What the connections keep: the data's provider, server, database file and driver, an offline cube's file. */
export const KEPT_CONNECTION_TEXT = ["DSN=MS Access Database;DBQ=sales.accdb;", "DriverId=25;", "Provider=MSDASQL.1;", "SERVER=db01;", 'odcFile="sales.odc"', 'sourceFile="data.csv"', 'localConnection="Provider=MSOLAP.8;Data Source=sales.cub"'];

export const connectionsXml = (m: string): string =>
  `${XML}<connections xmlns="${S}">` +
  `<connection id="1" odcFile="C:\\Users\\${m}\\Documents\\My Data Sources\\sales.odc" name="sales" type="1" refreshedVersion="6" saveData="1">` +
  `<dbPr connection="DSN=MS Access Database;DBQ=C:\\Users\\${m}\\Documents\\sales.accdb;DefaultDir=C:\\Users\\${m}\\Documents;DriverId=25;UID=${m}uid;PWD=${m}pwd;Workstation ID=${m}-PC;Uwer ID=${m}damaged;" command="SELECT * FROM Orders"/></connection>` +
  `<connection id="2" name="warehouse" type="5" refreshedVersion="6" saveData="1">` +
  `<dbPr connection="Provider=MSDASQL.1;Persist Security Info=True;User ID=${m}ole;Extended Properties=&quot;DSN=Warehouse;UID=${m}inner;SERVER=db01;&quot;" command="Stock" commandType="3"/></connection>` +
  `<connection id="3" name="data" type="6" refreshedVersion="6"><textPr sourceFile="/Users/${m}/Desktop/data.csv" delimited="1" comma="1"/></connection>` +
  `<connection id="4" name="cube" type="5" refreshedVersion="6"><dbPr connection="Provider=MSOLAP.8;Data Source=olap01" command="Sales" commandType="1"/><olapPr local="1" localConnection="Provider=MSOLAP.8;Data Source=C:\\Users\\${m}\\Cubes\\sales.cub" localRefresh="0"/></connection>` +
  `</connections>`;

export async function makeWorkbookLinks(dir: string, m: string): Promise<string> {
  const source = await pivotWorkbook(dir, "xlsx");
  const edit: Record<string, (xml: string) => string> = {
    [PIVOT_CACHE_PART]: (x) => x.replace("<pivotCacheDefinition ", `<pivotCacheDefinition refreshedBy="${m} refresher" refreshedDate="46000.4395" refreshedDateIso="2025-12-09T10:32:53.000" refreshedVersion="8" `),
    "xl/workbook.xml": (x) =>
      x
        .replace("<workbookPr ", `<fileSharing userName="${m} reserver"/><workbookPr `)
        .replace("</sheets>", '</sheets><externalReferences><externalReference r:id="rId90"/><externalReference r:id="rId92"/></externalReferences>'),
    "xl/_rels/workbook.xml.rels": (x) =>
      x.replace(
        "</Relationships>",
        `<Relationship Id="rId90" Type="${OD}/externalLink" Target="externalLinks/externalLink1.xml"/><Relationship Id="rId91" Type="${OD}/connections" Target="connections.xml"/><Relationship Id="rId92" Type="${OD}/externalLink" Target="externalLinks/externalLink2.xml"/></Relationships>`,
      ),
    "[Content_Types].xml": (x) =>
      x.replace(
        "</Types>",
        '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/><Override PartName="/xl/connections.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"/><Override PartName="/xl/externalLinks/externalLink2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
      ),
    // A cell showing the linked workbook's value, as Excel caches it.
    "xl/worksheets/sheet1.xml": (x) => x.replace(/<row r="1"([^>]*)>(.*?)<\/row>/, '<row r="1"$1>$2<c r="G1"><f>[1]Sheet1!A1</f><v>42</v></c></row>'),
  };
  return editPackage(source, "pivot-linked.xlsx", edit, [
    ["xl/externalLinks/externalLink1.xml", `${XML}<externalLink xmlns="${S}" xmlns:r="${OD}"><externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>42</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>`],
    [LINK_RELS, rels([["rId1", `${OD}/externalLinkPath`, `file:///C:\\Users\\${m}\\Documents\\Budget.xlsx`, true]])],
    [CONNECTIONS, connectionsXml(m)],
    [DDE_LINK, `${XML}<externalLink xmlns="${S}"><ddeLink ddeService="Excel" ddeTopic="C:\\Users\\${m}\\Documents\\[Budget.xlsx]Sheet1"><ddeItems><ddeItem name="R1C1" advise="1"/></ddeItems></ddeLink></externalLink>`],
  ]);
}
