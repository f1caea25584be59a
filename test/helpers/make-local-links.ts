import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { soffice } from "./make-legacy-office.js";
import { contentTypes, OD, rels, W, XML, zip, type Part } from "./make-office.js";
import { pivotWorkbook } from "./make-pivot-xls.js";
import { readZip } from "./read-archives.js";
import { run } from "./tools.js";

/**
 * Office 2007+ documents naming files in the user's folder (`m`) where Office puts them when a
 * picture, an object or a link is taken from a local file: relationship targets to `file:///`
 * paths (a linked picture, a linked OLE object, a hyperlink, a share named after the user), a
 * Word field's instruction (INCLUDEPICTURE split across two runs in the middle of the path, as
 * Word splits runs; a LINK field), a VML picture's `o:href`, a drawing's description holding its
 * picture's path; and Excel's personal view of a shared workbook, named after its user.
 */
const A = "http://schemas.openxmlformats.org/drawingml/2006/main";
const PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture";
const IMAGE = `${OD}/image`;
const HYPERLINK = `${OD}/hyperlink`;

export const localPaths = (m: string) => ({
  photo: `C:\\Users\\${m}\\Pictures\\rome.jpg`,
  budget: `C:\\Users\\${m}\\Documents\\Budget.xlsx`,
  notes: `\\\\fileserver\\home\\${m}\\notes.docx`,
});

/** A package's parts edited (each edit must change its part) and parts added, written beside `source` as `name`. */
export async function editPackage(source: string, name: string, edit: Record<string, (xml: string) => string>, added: readonly Part[]): Promise<string> {
  const { members } = await readZip(await fs.readFile(source));
  const parts: Part[] = members.map((p) => {
    const fn = edit[p.name];
    if (fn == null) return [p.name, p.data];
    const xml = fn(p.data.toString("utf8"));
    if (xml === p.data.toString("utf8")) throw new Error(`LibreOffice's ${p.name} no longer has what the edit looks for`);
    return [p.name, xml];
  });
  if (parts.filter(([n]) => edit[n] != null).length !== Object.keys(edit).length) throw new Error("LibreOffice left out a part to edit");
  const file = path.join(path.dirname(source), name);
  await fs.writeFile(file, await zip([...parts, ...added]));
  return file;
}

/**
 * A DrawingML picture linked to (not holding) its file, described by Word and PowerPoint with its
 * path; `click`: what its properties hold (a hyperlink).
 */
function linkedPicture(prefix: string, descr: string, rid: string, click = ""): string {
  const props = `<${prefix}:cNvPr id="7" name="Picture 7" descr="${descr}">${click}</${prefix}:cNvPr><${prefix}:cNvPicPr/>${prefix === "p" ? "<p:nvPr/>" : ""}`;
  return `<${prefix}:nvPicPr>${props}</${prefix}:nvPicPr><${prefix}:blipFill><a:blip xmlns:a="${A}" xmlns:r="${OD}" r:link="${rid}"/><a:stretch xmlns:a="${A}"><a:fillRect/></a:stretch></${prefix}:blipFill>`;
}

export function localLinksDocx(m: string): Promise<Buffer> {
  const p = localPaths(m);
  // Field instructions double their backslashes; Word's runs split the photo's path after the user's folder.
  const esc = (s: string): string => s.replace(/\\/g, "\\\\");
  const photo = esc(p.photo);
  const cut = photo.indexOf(m) + m.length;
  const field = (instr: string[], result: string): string =>
    `<w:r><w:fldChar w:fldCharType="begin"/></w:r>${instr.map((t) => `<w:r><w:instrText xml:space="preserve">${t}</w:instrText></w:r>`).join("")}<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>${result}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`;
  const drawing = `<w:drawing><wp:inline><wp:extent cx="152400" cy="152400"/><wp:docPr id="7" name="Picture 7" descr="${p.photo}"/><a:graphic><a:graphicData uri="${PIC}"><pic:pic xmlns:pic="${PIC}">${linkedPicture("pic", p.photo, "rId5")}<pic:spPr/></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>`;
  const vml = `<w:pict><v:shape id="_x0000_i1026" style="width:12pt;height:12pt"><v:imagedata r:id="rId6" o:href="file:///${p.photo}" o:title=""/></v:shape></w:pict>`;
  const object = `<w:object><v:shape id="_x0000_i1025" style="width:60pt;height:20pt"/><o:OLEObject Type="Link" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" DrawAspect="Content" r:id="rId8" UpdateMode="Always"><o:LinkType>Worksheet</o:LinkType></o:OLEObject></w:object>`;
  const ns = `xmlns:w="${W}" xmlns:r="${OD}" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="${A}" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"`;
  const body =
    `<w:p><w:r><w:t xml:space="preserve">The trip report. </w:t></w:r>${field([` INCLUDEPICTURE &quot;${photo.slice(0, cut)}`, `${photo.slice(cut)}&quot; \\* MERGEFORMAT \\d `], "Rome")}</w:p>` +
    `<w:p><w:fldSimple w:instr=" LINK Excel.Sheet.12 &quot;${esc(p.budget)}&quot; &quot;Sheet1!R1C1:R2C2&quot; \\a \\p "><w:r><w:t>Budget table</w:t></w:r></w:fldSimple></w:p>` +
    `<w:p><w:r>${drawing}</w:r><w:r>${vml}</w:r><w:r>${object}</w:r><w:hyperlink r:id="rId7"><w:r><w:t>Meeting notes</w:t></w:r></w:hyperlink></w:p>`;
  return zip([
    ["[Content_Types].xml", contentTypes([["/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"]])],
    ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, "word/document.xml"]])],
    ["word/document.xml", `${XML}<w:document ${ns}><w:body>${body}</w:body></w:document>`],
    [
      "word/_rels/document.xml.rels",
      rels([
        ["rId5", IMAGE, `file:///${p.photo}`, true],
        ["rId6", IMAGE, `file:///${p.photo}`, true],
        ["rId7", HYPERLINK, `file:///${p.notes}`, true],
        ["rId8", `${OD}/oleObject`, `file:///${p.budget}!Sheet1!R1C1:R2C2`, true],
      ]),
    ],
  ]);
}

/**
 * LibreOffice's XLSX with a pivot table (make-pivot-xls.ts), given a personal view named after
 * its user beside a custom view of its own name, the page it was published to as a web page in
 * the user's folder, a hyperlink on a cell to a file on the user's
 * share, and a drawing with a picture linked to a file in the user's folder, described by its path,
 * whose click opens the budget workbook there.
 */
export async function localLinksXlsx(dir: string, m: string): Promise<string> {
  const p = localPaths(m);
  const views =
    `<customWorkbookViews><customWorkbookView name="${m} - Personal View" guid="{6F9619FF-8B86-D011-B42D-00C04FC964FF}" mergeInterval="0" personalView="1" windowWidth="1020" windowHeight="535" activeSheetId="1"/>` +
    `<customWorkbookView name="Print layout" guid="{6F9619FF-8B86-D011-B42D-00C04FC96500}" windowWidth="1020" windowHeight="535" activeSheetId="1"/></customWorkbookViews>`;
  const XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing";
  const drawing =
    `${XML}<xdr:wsDr xmlns:xdr="${XDR}" xmlns:a="${A}" xmlns:r="${OD}"><xdr:oneCellAnchor><xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>6</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="152400" cy="152400"/>` +
    `<xdr:pic>${linkedPicture("xdr", p.photo, "rId1", '<a:hlinkClick r:id="rId2"/>')}<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>`;
  const source = await pivotWorkbook(dir, "xlsx");
  return editPackage(
    source,
    "links.xlsx",
    {
      "xl/workbook.xml": (x) => x.replace("<pivotCaches>", `${views}<pivotCaches>`).replace("</workbook>", `<webPublishObjects count="1"><webPublishObject id="1" divId="pivot_1" destinationFile="${p.budget.replace("Budget.xlsx", "Page.htm")}"/></webPublishObjects></workbook>`),
      "xl/worksheets/sheet1.xml": (x) => x.replace("<pageMargins", '<hyperlinks><hyperlink ref="A1" r:id="rId90"/></hyperlinks><pageMargins').replace("</worksheet>", '<drawing r:id="rId91"/></worksheet>'),
      "xl/worksheets/_rels/sheet1.xml.rels": (x) => x.replace("</Relationships>", `<Relationship Id="rId90" Type="${HYPERLINK}" Target="file:///${p.notes}" TargetMode="External"/><Relationship Id="rId91" Type="${OD}/drawing" Target="../drawings/drawing1.xml"/></Relationships>`),
      "[Content_Types].xml": (x) => x.replace("</Types>", '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>'),
    },
    [
      ["xl/drawings/drawing1.xml", drawing],
      [
        "xl/drawings/_rels/drawing1.xml.rels",
        rels([
          ["rId1", IMAGE, `file:///${p.photo}`, true],
          ["rId2", HYPERLINK, `file:///${p.budget}`, true],
        ]),
      ],
    ],
  );
}

const FODP = `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:body><office:presentation><draw:page draw:name="Slide1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="12cm" svg:height="3cm"><draw:text-box><text:p>Quarterly slide text</text:p></draw:text-box></draw:frame></draw:page></office:presentation></office:body></office:document>`;

/** LibreOffice's PPTX of one slide, given a picture linked to a file in the user's folder and described by its path. */
export async function localLinksPptx(dir: string, m: string): Promise<string> {
  const p = localPaths(m);
  const work = path.join(dir, `pptx-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  await fs.writeFile(path.join(work, "slides.fodp"), FODP);
  await soffice(work, ["--convert-to", "pptx", "--outdir", work, path.join(work, "slides.fodp")]);
  const picture = `<p:pic>${linkedPicture("p", p.photo, "rId90")}<p:spPr><a:xfrm xmlns:a="${A}"><a:off x="0" y="0"/><a:ext cx="152400" cy="152400"/></a:xfrm></p:spPr></p:pic>`;
  return editPackage(
    path.join(work, "slides.pptx"),
    "links.pptx",
    {
      "ppt/slides/slide1.xml": (x) => x.replace("</p:spTree>", `${picture}</p:spTree>`),
      "ppt/slides/_rels/slide1.xml.rels": (x) => x.replace("</Relationships>", `<Relationship Id="rId90" Type="${IMAGE}" Target="file:///${p.photo}" TargetMode="External"/></Relationships>`),
    },
    [],
  );
}

/** The text LibreOffice reads of a document (a presentation through PDF). */
export async function officeText(dir: string, file: string): Promise<string> {
  const work = path.join(dir, `text-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  const ext = path.extname(file);
  const copy = path.join(work, `doc${ext}`);
  await fs.copyFile(file, copy);
  if (ext === ".docx") {
    await soffice(work, ["--convert-to", "txt:Text", "--outdir", work, copy]);
    return fs.readFile(path.join(work, "doc.txt"), "utf8");
  }
  await soffice(work, ["--convert-to", "pdf", "--outdir", work, copy]);
  return (await run("pdftotext", [path.join(work, "doc.pdf"), "-"])).stdout.toString("utf8");
}

/**
 * The DOCX of `localLinksDocx` as LibreOffice writes it in Word 97-2003 format: the LINK field's
 * instruction with the workbook's path, the INCLUDEPICTURE field's with the photo's `file:` URL
 * and the HYPERLINK field's with a relative path climbing to the share (`../..//fileserver/...`)
 * in the text, the hyperlink's object (a file moniker) and the linked picture's file name in the
 * Data stream.
 */
export async function localLinksDoc(dir: string, m: string): Promise<string> {
  const work = path.join(dir, `doc-${crypto.randomUUID()}`);
  await fs.mkdir(work);
  await fs.writeFile(path.join(work, "links.docx"), await localLinksDocx(m));
  await soffice(work, ["--convert-to", "doc", "--outdir", work, path.join(work, "links.docx")]);
  return path.join(work, "links.doc");
}
