import fsp from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import yazl from "yazl";
import { CONVERT, run, EXIFTOOL } from "./tools.js";

/**
 * Hand-built office documents for the removal tests: the smallest packages that ExifTool
 * recognises as DOCX/XLSX/PPTX/ODT/ODS/ODP, with a marker string in every metadata field the
 * formats have (properties, comment and tracked-change authors, printer settings, thumbnails,
 * custom XML, user paths) and a JPEG whose EXIF Artist holds the marker.
 */
export type OfficeKind = "docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp";

export interface OfficeFixture {
  bytes: Buffer;
  /** The part holding what a person reads, compared before and after cleaning. */
  bodyPart: string;
  /** The embedded picture's part name. */
  imagePart: string;
}

/** Revision ids are hex numbers, so they carry this instead of the marker. */
export const RSID = "00C0FFEE";

export async function makeMarkedJpeg(dir: string, marker: string): Promise<Buffer> {
  const file = path.join(dir, `marked-${marker}.jpg`);
  await run(CONVERT, ["-size", "16x16", "xc:#3366cc", file]);
  await run(EXIFTOOL, ["-q", "-overwrite_original", `-EXIF:Artist=${marker}`, file]);
  return fsp.readFile(file);
}

export async function makeOffice(kind: OfficeKind, m: string, jpeg: Buffer): Promise<OfficeFixture> {
  switch (kind) {
    case "docx":
      return { bytes: await zip(docxParts(m, jpeg)), bodyPart: "word/document.xml", imagePart: "word/media/image1.jpeg" };
    case "xlsx":
      return { bytes: await zip(xlsx(m, jpeg)), bodyPart: "xl/worksheets/sheet1.xml", imagePart: "xl/media/image1.jpeg" };
    case "pptx":
      return { bytes: await zip(pptx(m, jpeg)), bodyPart: "ppt/slides/slide1.xml", imagePart: "ppt/media/image1.jpeg" };
    default:
      return { bytes: await zip(odf(kind, m, jpeg)), bodyPart: "content.xml", imagePart: "Pictures/image1.jpeg" };
  }
}

export type Part = [name: string, data: string | Buffer];

/** Zips parts in order; an ODF `mimetype` is stored, as the format requires. */
export function zip(parts: readonly Part[]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of parts) {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    z.addBuffer(buf, name, { compress: name !== "mimetype", mtime: new Date(2023, 4, 6, 7, 8, 10) });
  }
  z.end({ comment: `zip comment ${parts.length}`, forceZip64Format: false });
  return streamToBuffer(z.outputStream);
}

async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

export const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
export const OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
export const PKG = "http://schemas.openxmlformats.org/package/2006/relationships";
export const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const A = "http://schemas.openxmlformats.org/drawingml/2006/main";

export function rels(list: readonly [id: string, type: string, target: string, external?: boolean][]): string {
  const items = list.map(([id, type, target, ext]) => `<Relationship Id="${id}" Type="${type}" Target="${target}"${ext === true ? ' TargetMode="External"' : ""}/>`);
  return `${XML}<Relationships xmlns="${PKG}">${items.join("")}</Relationships>`;
}

/** A relationship's type: a name in the officeDocument namespace (`oleObject`), or a whole URI. */
export type RelType = string;

/** The relationship type of a package's macros (`vbaProject.bin`). */
export const VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject";

/**
 * `parts` and `added`, each named by a relationship from the main part of its folder (Word's
 * document, Excel's workbook, PowerPoint's presentation), as Office relates every part it writes:
 * a part no relationship leads to is left out of the clean copy.
 */
export function withRelated(parts: readonly Part[], added: readonly [name: string, data: string | Buffer, type: RelType][]): Part[] {
  const out = [...parts];
  added.forEach(([name, data, type], i) => {
    const folder = name.split("/")[0]!;
    const at = out.findIndex(([n]) => new RegExp(`^${folder}/_rels/(document|workbook|presentation)\\.(xml|bin)\\.rels$`).test(n));
    if (at < 0) throw new Error(`no main part in ${folder}/ to relate ${name} from`);
    const uri = type.startsWith("http") ? type : `${OD}/${type}`;
    const rel = `<Relationship Id="rIdAdded${i + 1}" Type="${uri}" Target="${name.slice(folder.length + 1)}"/>`;
    const [relsName, xml] = out[at]!;
    out[at] = [relsName, xml.toString().replace("</Relationships>", `${rel}</Relationships>`)];
    out.push([name, data]);
  });
  return out;
}

export function contentTypes(overrides: readonly [part: string, type: string][]): string {
  const o = overrides.map(([p, t]) => `<Override PartName="${p}" ContentType="${t}"/>`).join("");
  return `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>${o}</Types>`;
}

/** Core, app and custom properties, thumbnail and custom XML: the same in the three OOXML formats. */
function ooxmlProps(m: string, jpeg: Buffer, main: string): { parts: Part[]; overrides: [string, string][] } {
  const core = `${XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>${m} title</dc:title><dc:subject>${m} subject</dc:subject><dc:creator>${m} creator</dc:creator><cp:keywords>${m} keywords</cp:keywords><dc:description>${m} description</dc:description><cp:lastModifiedBy>${m} lastModifiedBy</cp:lastModifiedBy><cp:revision>7</cp:revision><cp:category>${m} category</cp:category><dcterms:created xsi:type="dcterms:W3CDTF">2023-05-06T07:08:09Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2023-05-06T08:09:10Z</dcterms:modified></cp:coreProperties>`;
  const app = `${XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Template>${m} template.dotm</Template><TotalTime>42</TotalTime><Application>${m} application</Application><Company>${m} company</Company><Manager>${m} manager</Manager><AppVersion>16.0000</AppVersion></Properties>`;
  const custom = `${XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="${m} name"><vt:lpwstr>${m} value</vt:lpwstr></property></Properties>`;
  const parts: Part[] = [
    ["_rels/.rels", rels([
      ["rId1", `${OD}/officeDocument`, main],
      ["rId2", `${PKG}/metadata/core-properties`, "docProps/core.xml"],
      ["rId3", `${OD}/extended-properties`, "docProps/app.xml"],
      ["rId4", `${OD}/custom-properties`, "docProps/custom.xml"],
      ["rId5", `${PKG}/metadata/thumbnail`, "docProps/thumbnail.jpeg"],
    ])],
    ["docProps/core.xml", core],
    ["docProps/app.xml", app],
    ["docProps/custom.xml", custom],
    ["docProps/thumbnail.jpeg", jpeg],
    ["customXml/item1.xml", `${XML}<p:properties xmlns:p="http://schemas.microsoft.com/office/2006/metadata/properties"><documentManagement><Owner>${m} owner</Owner></documentManagement></p:properties>`],
  ];
  const overrides: [string, string][] = [
    ["/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"],
    ["/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"],
    ["/docProps/custom.xml", "application/vnd.openxmlformats-officedocument.custom-properties+xml"],
  ];
  return { parts, overrides };
}

function pic(rid: string): string {
  return `<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" name="Picture 1"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip xmlns:a="${A}" xmlns:r="${OD}" r:embed="${rid}"/></pic:blipFill><pic:spPr/></pic:pic>`;
}

/** The parts of the marked DOCX `makeOffice` zips. */
export function docxParts(m: string, jpeg: Buffer): Part[] {
  const { parts, overrides } = ooxmlProps(m, jpeg, "word/document.xml");
  const ns = `xmlns:w="${W}" xmlns:r="${OD}" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="${A}" xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"`;
  const drawing = `<w:drawing><wp:inline><wp:extent cx="152400" cy="152400"/><wp:docPr id="1" name="Picture 1"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">${pic("rId10")}</a:graphicData></a:graphic></wp:inline></w:drawing>`;
  const document = `${XML}<w:document ${ns}><w:body><w:p w:rsidR="${RSID}" w:rsidRDefault="${RSID}" w:rsidP="${RSID}"><w:r w:rsidRPr="${RSID}"><w:t xml:space="preserve">Hello body text </w:t></w:r><w:ins w:id="1" w:author="${m} ins" w:date="2023-05-06T07:08:09Z"><w:r><w:t>inserted</w:t></w:r></w:ins><w:del w:id="2" w:author="${m} del" w:date="2023-05-06T07:08:09Z"><w:r><w:delText>deleted</w:delText></w:r></w:del><w:commentRangeStart w:id="0"/><w:r><w:t>commented</w:t></w:r><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p><w:p w:rsidR="${RSID}"><w:pPr><w:rPr><w:rPrChange w:id="3" w:author="${m} fmt" w:date="2023-05-06T07:08:09Z"><w:rPr/></w:rPrChange></w:rPr></w:pPr><w:r>${drawing}</w:r></w:p><w:sectPr w:rsidR="${RSID}"><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`;
  const comments = `${XML}<w:comments ${ns}><w:comment w:id="0" w:author="${m} commenter" w:date="2023-05-06T07:08:09Z" w:initials="${m}ini"><w:p w:rsidR="${RSID}"><w:r><w:t>A comment</w:t></w:r></w:p></w:comment></w:comments>`;
  const people = `${XML}<w15:people ${ns}><w15:person w15:author="${m} person"><w15:presenceInfo w15:providerId="AD" w15:userId="S::${m}@example.com"/></w15:person></w15:people>`;
  const settings = `${XML}<w:settings ${ns}><!-- ${m} comment --><w:attachedTemplate r:id="rId1"/><w:docVars><w:docVar w:name="v" w:val="${m} docvar"/></w:docVars><w:rsids><w:rsidRoot w:val="${RSID}"/><w:rsid w:val="${RSID}"/></w:rsids></w:settings>`;
  const WT = "application/vnd.openxmlformats-officedocument.wordprocessingml";
  return [
    ["[Content_Types].xml", contentTypes([
      ["/word/document.xml", `${WT}.document.main+xml`],
      ["/word/comments.xml", `${WT}.comments+xml`],
      ["/word/settings.xml", `${WT}.settings+xml`],
      ["/word/people.xml", `${WT}.people+xml`],
      ...overrides,
    ])],
    ...parts,
    ["word/document.xml", document],
    ["word/_rels/document.xml.rels", rels([
      ["rId1", `${OD}/comments`, "comments.xml"],
      ["rId2", `${OD}/settings`, "settings.xml"],
      ["rId3", "http://schemas.microsoft.com/office/2011/relationships/people", "people.xml"],
      ["rId4", `${OD}/printerSettings`, "printerSettings/printerSettings1.bin"],
      ["rId5", `${OD}/customXml`, "../customXml/item1.xml"],
      ["rId10", `${OD}/image`, "media/image1.jpeg"],
    ])],
    ["word/comments.xml", comments],
    ["word/people.xml", people],
    ["word/settings.xml", settings],
    ["word/_rels/settings.xml.rels", rels([["rId1", `${OD}/attachedTemplate`, `file:///C:/Users/${m}/Normal.dotm`, true]])],
    ["word/printerSettings/printerSettings1.bin", Buffer.from(`\\\\PRINTSRV\\${m} printer\0`, "utf16le")],
    ["word/media/image1.jpeg", jpeg],
  ];
}

function xlsx(m: string, jpeg: Buffer): Part[] {
  const { parts, overrides } = ooxmlProps(m, jpeg, "xl/workbook.xml");
  const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const workbook = `${XML}<workbook xmlns="${S}" xmlns:r="${OD}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15 xr" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision"><fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27328"/><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" url="C:\\Users\\${m}\\Documents\\"/></mc:Choice></mc:AlternateContent><xr:revisionPtr revIDLastSave="0" documentId="13_ncr:1_{${m}}" xr6:coauthVersionLast="47" xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6"/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`;
  const sheet = `${XML}<worksheet xmlns="${S}" xmlns:r="${OD}" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" xr:uid="{${m}}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Hello body cell</t></is></c></row></sheetData><drawing r:id="rId2"/><legacyDrawing r:id="rId3"/></worksheet>`;
  const drawing = `${XML}<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="${A}"><xdr:oneCellAnchor><xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="152400" cy="152400"/>${pic("rId1").replace(/pic:/g, "xdr:").replace(/ xmlns:xdr="[^"]*"/, "")}<xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>`;
  const comments = `${XML}<comments xmlns="${S}"><authors><author>${m} author</author></authors><commentList><comment ref="A1" authorId="0"><text><t>A comment</t></text></comment></commentList></comments>`;
  const persons = `${XML}<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"><person displayName="${m} person" id="{11111111-1111-1111-1111-111111111111}" userId="${m}@example.com" providerId="AD"/></personList>`;
  const X = "application/vnd.openxmlformats-officedocument.spreadsheetml";
  return [
    ["[Content_Types].xml", contentTypes([
      ["/xl/workbook.xml", `${X}.sheet.main+xml`],
      ["/xl/worksheets/sheet1.xml", `${X}.worksheet+xml`],
      ["/xl/comments1.xml", `${X}.comments+xml`],
      ["/xl/drawings/drawing1.xml", "application/vnd.openxmlformats-officedocument.drawing+xml"],
      ["/xl/persons/person.xml", "application/vnd.ms-excel.person+xml"],
      ...overrides,
    ])],
    ...parts,
    ["xl/workbook.xml", workbook],
    ["xl/_rels/workbook.xml.rels", rels([
      ["rId1", `${OD}/worksheet`, "worksheets/sheet1.xml"],
      ["rId2", "http://schemas.microsoft.com/office/2017/10/relationships/person", "persons/person.xml"],
      ["rId3", `${OD}/customXml`, "../customXml/item1.xml"],
    ])],
    ["xl/worksheets/sheet1.xml", sheet],
    ["xl/worksheets/_rels/sheet1.xml.rels", rels([
      ["rId1", `${OD}/comments`, "../comments1.xml"],
      ["rId2", `${OD}/drawing`, "../drawings/drawing1.xml"],
      ["rId4", `${OD}/printerSettings`, "../printerSettings/printerSettings1.bin"],
    ])],
    ["xl/drawings/drawing1.xml", drawing],
    ["xl/drawings/_rels/drawing1.xml.rels", rels([["rId1", `${OD}/image`, "../media/image1.jpeg"]])],
    ["xl/comments1.xml", comments],
    ["xl/persons/person.xml", persons],
    ["xl/printerSettings/printerSettings1.bin", Buffer.from(`${m} printer\0`, "utf16le")],
    ["xl/media/image1.jpeg", jpeg],
  ];
}

function pptx(m: string, jpeg: Buffer): Part[] {
  const { parts, overrides } = ooxmlProps(m, jpeg, "ppt/presentation.xml");
  const P = "http://schemas.openxmlformats.org/presentationml/2006/main";
  const ns = `xmlns:p="${P}" xmlns:a="${A}" xmlns:r="${OD}"`;
  const presentation = `${XML}<p:presentation ${ns}><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`;
  const slide = `${XML}<p:sld ${ns}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>Hello body slide</a:t></a:r></a:p></p:txBody></p:sp>${pic("rId2").replace(/pic:/g, "p:").replace(/ xmlns:p="[^"]*"/, "")}</p:spTree></p:cSld></p:sld>`;
  const authors = `${XML}<p:cmAuthorLst ${ns}><p:cmAuthor id="0" name="${m} author" initials="${m}ini" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>`;
  const comments = `${XML}<p:cmLst ${ns}><p:cm authorId="0" dt="2023-05-06T07:08:09.000" idx="1"><p:pos x="10" y="10"/><p:text>A comment</p:text></p:cm></p:cmLst>`;
  const PT = "application/vnd.openxmlformats-officedocument.presentationml";
  return [
    ["[Content_Types].xml", contentTypes([
      ["/ppt/presentation.xml", `${PT}.presentation.main+xml`],
      ["/ppt/slides/slide1.xml", `${PT}.slide+xml`],
      ["/ppt/commentAuthors.xml", `${PT}.commentAuthors+xml`],
      ["/ppt/comments/comment1.xml", `${PT}.comments+xml`],
      ...overrides,
    ])],
    ...parts,
    ["ppt/presentation.xml", presentation],
    ["ppt/_rels/presentation.xml.rels", rels([
      ["rId1", `${OD}/commentAuthors`, "commentAuthors.xml"],
      ["rId2", `${OD}/slide`, "slides/slide1.xml"],
      ["rId3", `${OD}/printerSettings`, "printerSettings/printerSettings1.bin"],
      ["rId4", `${OD}/customXml`, "../customXml/item1.xml"],
    ])],
    ["ppt/slides/slide1.xml", slide],
    ["ppt/slides/_rels/slide1.xml.rels", rels([
      ["rId1", `${OD}/comments`, "../comments/comment1.xml"],
      ["rId2", `${OD}/image`, "../media/image1.jpeg"],
    ])],
    ["ppt/commentAuthors.xml", authors],
    ["ppt/comments/comment1.xml", comments],
    ["ppt/printerSettings/printerSettings1.bin", Buffer.from(`${m} printer\0`, "utf16le")],
    ["ppt/media/image1.jpeg", jpeg],
  ];
}

export const ODF_NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
  'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
  'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"',
  'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
  'xmlns:xlink="http://www.w3.org/1999/xlink"',
  'xmlns:dc="http://purl.org/dc/elements/1.1/"',
  'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"',
  'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"',
  'xmlns:officeooo="http://openoffice.org/2009/office"',
].join(" ");

function odfBody(kind: "odt" | "ods" | "odp", m: string): string {
  const note = `<office:annotation><dc:creator>${m} annotator</dc:creator><dc:date>2023-05-06T07:08:09</dc:date><meta:creator-initials>${m}ini</meta:creator-initials><text:p>A comment</text:p></office:annotation>`;
  const frame = `<draw:frame draw:name="Image1" svg:width="1cm" svg:height="1cm"><draw:image xlink:href="Pictures/image1.jpeg" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame>`;
  if (kind === "ods") {
    return `<office:spreadsheet><table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string">${note}<text:p>Hello body cell</text:p></table:table-cell><table:table-cell>${frame}</table:table-cell></table:table-row></table:table></office:spreadsheet>`;
  }
  if (kind === "odp") {
    return `<office:presentation><draw:page draw:name="page1"><draw:frame draw:name="t"><draw:text-box><text:p>Hello body slide</text:p></draw:text-box></draw:frame>${frame}${note}</draw:page></office:presentation>`;
  }
  const changes = `<text:tracked-changes><text:changed-region text:id="ct1"><text:insertion><office:change-info><dc:creator>${m} changer</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info></text:insertion></text:changed-region></text:tracked-changes>`;
  return `<office:text>${changes}<text:p text:style-name="P1">Hello body text <text:change-start text:change-id="ct1"/>inserted<text:change-end text:change-id="ct1"/>${note}</text:p><text:p>${frame}</text:p></office:text>`;
}

export function odf(kind: "odt" | "ods" | "odp", m: string, jpeg: Buffer): Part[] {
  const names = { odt: "text", ods: "spreadsheet", odp: "presentation" } as const;
  const mime = `application/vnd.oasis.opendocument.${names[kind]}`;
  const content = `${XML}<office:document-content ${ODF_NS} office:version="1.3"><office:automatic-styles><style:style style:name="P1" style:family="paragraph"><style:text-properties officeooo:rsid="${RSID}" officeooo:paragraph-rsid="${RSID}"/></style:style></office:automatic-styles><office:body>${odfBody(kind, m)}</office:body></office:document-content>`;
  const meta = `${XML}<office:document-meta ${ODF_NS} office:version="1.3"><office:meta><meta:initial-creator>${m} initial</meta:initial-creator><dc:creator>${m} creator</dc:creator><meta:creation-date>2023-05-06T07:08:09</meta:creation-date><dc:date>2023-05-06T08:09:10</dc:date><meta:generator>${m} generator</meta:generator><meta:editing-cycles>3</meta:editing-cycles><meta:editing-duration>PT1H</meta:editing-duration><dc:title>${m} title</dc:title><dc:description>${m} description</dc:description><meta:keyword>${m} keyword</meta:keyword><meta:printed-by>${m} printer</meta:printed-by><meta:template xlink:type="simple" xlink:href="file:///home/${m}/t.ott" xlink:title="${m} template"/><meta:user-defined meta:name="${m} name">${m} value</meta:user-defined></office:meta></office:document-meta>`;
  const settings = `${XML}<office:document-settings ${ODF_NS} office:version="1.3"><!-- ${m} comment --><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" config:type="string">${m} printer</config:config-item><config:config-item config:name="PrinterSetup" config:type="base64Binary">${Buffer.from(`${m} setup`).toString("base64")}</config:config-item><config:config-item config:name="Rsid" config:type="int">12648430</config:config-item><config:config-item config:name="RsidRoot" config:type="int">12648430</config:config-item><config:config-item config:name="AddParaTableSpacing" config:type="boolean">true</config:config-item></config:config-item-set></office:settings></office:document-settings>`;
  const styles = `${XML}<office:document-styles ${ODF_NS} office:version="1.3"><office:styles><style:style style:name="Standard" style:family="paragraph"><style:text-properties officeooo:rsid="${RSID}"/></style:style></office:styles></office:document-styles>`;
  const entry = (p: string, t: string): string => `<manifest:file-entry manifest:full-path="${p}" manifest:media-type="${t}"/>`;
  const manifest = `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">${entry("/", mime)}${entry("content.xml", "text/xml")}${entry("styles.xml", "text/xml")}${entry("meta.xml", "text/xml")}${entry("settings.xml", "text/xml")}${entry("Thumbnails/thumbnail.png", "image/png")}${entry("Pictures/image1.jpeg", "image/jpeg")}</manifest:manifest>`;
  return [
    // ExifTool reads only the mimetype's first word: what follows must not survive either.
    ["mimetype", `${mime}\n${m} mimetype`],
    ["content.xml", content],
    ["styles.xml", styles],
    ["meta.xml", meta],
    ["settings.xml", settings],
    ["Thumbnails/thumbnail.png", jpeg],
    ["Pictures/image1.jpeg", jpeg],
    ["META-INF/manifest.xml", manifest],
  ];
}

/**
 * A DOCX whose `word/document.xml` inflates to `size` bytes from a few hundred kilobytes. With
 * `lie`, its headers claim 1000 bytes (the sizes must be counted, not believed); without, they
 * tell the truth (the claim alone is over the limit).
 */
export async function makeBombDocx(size: number, lie: boolean): Promise<Buffer> {
  const deflater = zlib.createDeflateRaw({ level: 9 });
  const out = streamToBuffer(deflater);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  for (let done = 0; done < size; done += chunk.length) {
    if (!deflater.write(chunk)) await new Promise((r) => deflater.once("drain", r));
  }
  deflater.end();
  const bomb = await out;
  const types = Buffer.from(contentTypes([["/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"]]));
  return rawZip([
    { name: "[Content_Types].xml", data: zlib.deflateRawSync(types), claimed: types.length },
    { name: "word/document.xml", data: bomb, claimed: lie ? 1000 : size },
  ]);
}

/** A deflated ZIP written byte by byte, so that its headers can say what a test wants. */
function rawZip(entries: readonly { name: string; data: Buffer; claimed: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.claimed, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.claimed, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The smallest DOCX ExifTool recognises, around a `word/document.xml` given whole. */
export function docxWithDocument(document: string | Buffer): Promise<Buffer> {
  return zip([
    ["[Content_Types].xml", contentTypes([["/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"]])],
    ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "word/document.xml"]])],
    ["word/document.xml", document],
  ]);
}
