import { contentTypes, OD, ODF_NS, rels, W, XML, zip, type Part } from "./make-office.js";

/**
 * Hand-built documents under review: comments in every format each application writes, and
 * tracked changes, each carrying its own marker, so that a test can tell what went and what
 * stayed. `finalText` is what the document reads once every change is accepted and the comments
 * hidden, paragraph by paragraph, written by hand (not computed by any code under test).
 */
export type ReviewKind = "docx" | "xlsx" | "pptx" | "odt";

export interface ReviewMarkers {
  /** In the text of every comment. */
  comment: string;
  /** In the name of every comment author and change author. */
  author: string;
  /** In deleted (and moved-away) text. */
  deleted: string;
  /** In inserted text: it must stay, as plain text. */
  inserted: string;
}

export interface ReviewFixture {
  bytes: Buffer;
  finalText: string[];
  /** The parts that hold only review content. */
  reviewParts: string[];
  /** Comments and tracked changes the document holds. */
  comments: number;
  trackedChanges: number;
}

export function makeReviewed(kind: ReviewKind, m: ReviewMarkers): Promise<ReviewFixture> {
  switch (kind) {
    case "docx":
      return docx(m);
    case "xlsx":
      return xlsx(m);
    case "pptx":
      return pptx(m);
    case "odt":
      return odt(m);
  }
}

const DATE = "2023-05-06T07:08:09Z";
const ROOT_RELS = (main: string): Part => ["_rels/.rels", rels([["rId1", `${OD}/officeDocument`, main]])];

async function docx(m: ReviewMarkers): Promise<ReviewFixture> {
  const W14 = "http://schemas.microsoft.com/office/word/2010/wordml";
  const ns = `xmlns:w="${W}" xmlns:r="${OD}" xmlns:w14="${W14}" xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml" xmlns:w16cid="http://schemas.microsoft.com/office/word/2016/wordml/cid" xmlns:w16cex="http://schemas.microsoft.com/office/word/2018/wordml/cex"`;
  const who = `w:author="${m.author}" w:date="${DATE}"`;
  const t = (s: string): string => `<w:r><w:t xml:space="preserve">${s}</w:t></w:r>`;
  const dt = (s: string): string => `<w:r><w:delText xml:space="preserve">${s}</w:delText></w:r>`;
  const body = [
    // Inserted, deleted and commented text in one paragraph.
    `<w:p>${t("Alpha ")}<w:ins w:id="1" ${who}>${t(`${m.inserted} `)}</w:ins><w:del w:id="2" ${who}>${dt(`${m.deleted} `)}</w:del><w:commentRangeStart w:id="0"/>${t("Omega")}<w:commentRangeEnd w:id="0"/><w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:commentReference w:id="0"/></w:r></w:p>`,
    // A paragraph deleted whole, its mark included: it disappears.
    `<w:p><w:pPr><w:rPr><w:del w:id="3" ${who}/></w:rPr></w:pPr><w:del w:id="4" ${who}>${dt(`${m.deleted} whole paragraph`)}</w:del></w:p>`,
    // Text moved from here...
    `<w:p>${t("Beta ")}<w:moveFromRangeStart w:id="5" w:name="move1" ${who}/><w:moveFrom w:id="6" ${who}>${t(`${m.deleted}moved`)}</w:moveFrom><w:moveFromRangeEnd w:id="5"/></w:p>`,
    // ...to here; a paragraph mark deleted joins "Gamma " to the next paragraph.
    `<w:p><w:pPr><w:rPr><w:del w:id="7" ${who}/></w:rPr></w:pPr>${t("Gamma ")}<w:moveToRangeStart w:id="8" w:name="move1" ${who}/><w:moveTo w:id="9" ${who}>${t("Moved ")}</w:moveTo><w:moveToRangeEnd w:id="8"/></w:p>`,
    `<w:p><w:pPr><w:jc w:val="center"/><w:pPrChange w:id="10" ${who}><w:pPr/></w:pPrChange></w:pPr><w:r><w:rPr><w:b/><w:rPrChange w:id="11" ${who}><w:rPr/></w:rPrChange></w:rPr><w:t>Delta</w:t></w:r></w:p>`,
    // A table row inserted (stays) and one deleted (goes).
    `<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol w:w="2000"/></w:tblGrid><w:tr><w:trPr><w:ins w:id="12" ${who}/></w:trPr><w:tc><w:p>${t("Cell")}</w:p></w:tc></w:tr><w:tr><w:trPr><w:del w:id="13" ${who}/></w:trPr><w:tc><w:p><w:del w:id="14" ${who}>${dt(`${m.deleted} row`)}</w:del></w:p></w:tc></w:tr></w:tbl>`,
    `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:sectPrChange w:id="15" ${who}><w:sectPr/></w:sectPrChange></w:sectPr>`,
  ].join("");
  const document = `${XML}<w:document ${ns}><w:body>${body}</w:body></w:document>`;
  const comments = `${XML}<w:comments ${ns}><w:comment w:id="0" ${who} w:initials="${m.author}"><w:p w14:paraId="11111111"><w:r><w:annotationRef/></w:r>${t(`${m.comment} first comment`)}</w:p></w:comment><w:comment w:id="1" ${who} w:initials="A"><w:p w14:paraId="22222222">${t(`${m.comment} reply`)}</w:p></w:comment></w:comments>`;
  const extended = `${XML}<w15:commentsEx ${ns}><w15:commentEx w15:paraId="11111111" w15:done="0"/><w15:commentEx w15:paraId="22222222" w15:paraIdParent="11111111" w15:done="0"/></w15:commentsEx>`;
  const ids = `${XML}<w16cid:commentsIds ${ns}><w16cid:commentId w16cid:paraId="11111111" w16cid:durableId="3A3A3A3A"/><w16cid:commentId w16cid:paraId="22222222" w16cid:durableId="4B4B4B4B"/></w16cid:commentsIds>`;
  const extensible = `${XML}<w16cex:commentsExtensible ${ns}><w16cex:commentExtensible w16cex:durableId="3A3A3A3A" w16cex:dateUtc="${DATE}"/><w16cex:commentExtensible w16cex:durableId="4B4B4B4B" w16cex:dateUtc="${DATE}"/></w16cex:commentsExtensible>`;
  const people = `${XML}<w15:people ${ns}><w15:person w15:author="${m.author}"><w15:presenceInfo w15:providerId="AD" w15:userId="S::${m.author}@example.com"/></w15:person></w15:people>`;
  const WT = "application/vnd.openxmlformats-officedocument.wordprocessingml";
  const parts: Part[] = [
    ["[Content_Types].xml", contentTypes([
      ["/word/document.xml", `${WT}.document.main+xml`],
      ["/word/comments.xml", `${WT}.comments+xml`],
      ["/word/commentsExtended.xml", `${WT}.commentsExtended+xml`],
      ["/word/commentsIds.xml", `${WT}.commentsIds+xml`],
      ["/word/commentsExtensible.xml", `${WT}.commentsExtensible+xml`],
      ["/word/people.xml", `${WT}.people+xml`],
    ])],
    ROOT_RELS("word/document.xml"),
    ["word/document.xml", document],
    ["word/_rels/document.xml.rels", rels([
      ["rId1", `${OD}/comments`, "comments.xml"],
      ["rId2", "http://schemas.microsoft.com/office/2011/relationships/commentsExtended", "commentsExtended.xml"],
      ["rId3", "http://schemas.microsoft.com/office/2016/09/relationships/commentsIds", "commentsIds.xml"],
      ["rId4", "http://schemas.microsoft.com/office/2018/08/relationships/commentsExtensible", "commentsExtensible.xml"],
      ["rId5", "http://schemas.microsoft.com/office/2011/relationships/people", "people.xml"],
    ])],
    ["word/comments.xml", comments],
    ["word/commentsExtended.xml", extended],
    ["word/commentsIds.xml", ids],
    ["word/commentsExtensible.xml", extensible],
    ["word/people.xml", people],
  ];
  return {
    bytes: await zip(parts),
    finalText: [`Alpha ${m.inserted} Omega`, "Beta", "Gamma Moved Delta", "Cell"],
    reviewParts: ["word/comments.xml", "word/commentsExtended.xml", "word/commentsIds.xml", "word/commentsExtensible.xml", "word/people.xml"],
    comments: 2,
    // ins, del, del mark, del, moveFrom, del mark, moveTo, pPrChange, rPrChange, row ins, row del,
    // the deleted text in that row, sectPrChange.
    trackedChanges: 13,
  };
}

async function xlsx(m: ReviewMarkers): Promise<ReviewFixture> {
  const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments";
  const cell = (r: string, s: string): string => `<c r="${r}" t="inlineStr"><is><t>${s}</t></is></c>`;
  const workbook = `${XML}<workbook xmlns="${S}" xmlns:r="${OD}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`;
  const sheet = `${XML}<worksheet xmlns="${S}" xmlns:r="${OD}"><sheetData><row r="1">${cell("A1", "Alpha")}${cell("B1", "Omega")}</row></sheetData><legacyDrawing r:id="rId3"/></worksheet>`;
  // A1 holds a thread (its first comment also written as a note for older readers, and a reply);
  // B1 a plain note.
  const notes = `${XML}<comments xmlns="${S}"><authors><author>tc={AAAAAAAA-0000-0000-0000-000000000001}</author><author>${m.author}</author></authors><commentList><comment ref="A1" authorId="0"><text><t>[Threaded comment] ${m.comment} thread</t></text></comment><comment ref="B1" authorId="1"><text><r><rPr><b/></rPr><t>${m.author}:</t></r><r><t>${m.comment} note</t></r></text></comment></commentList></comments>`;
  const threaded = `${XML}<ThreadedComments xmlns="${TC}"><threadedComment ref="A1" dT="${DATE}" personId="{BBBBBBBB-0000-0000-0000-000000000001}" id="{AAAAAAAA-0000-0000-0000-000000000001}"><text>${m.comment} thread</text></threadedComment><threadedComment ref="A1" dT="${DATE}" personId="{BBBBBBBB-0000-0000-0000-000000000001}" id="{AAAAAAAA-0000-0000-0000-000000000002}" parentId="{AAAAAAAA-0000-0000-0000-000000000001}"><text>${m.comment} reply</text></threadedComment></ThreadedComments>`;
  const persons = `${XML}<personList xmlns="${TC}"><person displayName="${m.author}" id="{BBBBBBBB-0000-0000-0000-000000000001}" userId="${m.author}@example.com" providerId="AD"/></personList>`;
  const noteShape = (row: number, col: number): string =>
    `<v:shape id="_x0000_s${1025 + col}" type="#_x0000_t202" style="position:absolute;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:textbox/><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill><x:Row>${row}</x:Row><x:Column>${col}</x:Column></x:ClientData></v:shape>`;
  // As Excel writes it: not well-formed XML (`<br>` is never closed).
  const vml = `<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>${noteShape(0, 0)}${noteShape(0, 1)}<br></xml>`;
  const X = "application/vnd.openxmlformats-officedocument.spreadsheetml";
  const parts: Part[] = [
    ["[Content_Types].xml", contentTypes([
      ["/xl/workbook.xml", `${X}.sheet.main+xml`],
      ["/xl/worksheets/sheet1.xml", `${X}.worksheet+xml`],
      ["/xl/comments1.xml", `${X}.comments+xml`],
      ["/xl/threadedComments/threadedComment1.xml", "application/vnd.ms-excel.threadedcomments+xml"],
      ["/xl/persons/person.xml", "application/vnd.ms-excel.person+xml"],
    ]).replace("<Override", '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/><Override')],
    ROOT_RELS("xl/workbook.xml"),
    ["xl/workbook.xml", workbook],
    ["xl/_rels/workbook.xml.rels", rels([
      ["rId1", `${OD}/worksheet`, "worksheets/sheet1.xml"],
      ["rId2", "http://schemas.microsoft.com/office/2017/10/relationships/person", "persons/person.xml"],
    ])],
    ["xl/worksheets/sheet1.xml", sheet],
    ["xl/worksheets/_rels/sheet1.xml.rels", rels([
      ["rId1", "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment", "../threadedComments/threadedComment1.xml"],
      ["rId2", `${OD}/comments`, "../comments1.xml"],
      ["rId3", `${OD}/vmlDrawing`, "../drawings/vmlDrawing1.vml"],
    ])],
    ["xl/comments1.xml", notes],
    ["xl/threadedComments/threadedComment1.xml", threaded],
    ["xl/persons/person.xml", persons],
    ["xl/drawings/vmlDrawing1.vml", vml],
  ];
  return {
    bytes: await zip(parts),
    finalText: ["Alpha", "Omega"],
    reviewParts: ["xl/comments1.xml", "xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml", "xl/drawings/vmlDrawing1.vml"],
    // The thread's first comment (once, though written twice), its reply, and the note.
    comments: 3,
    trackedChanges: 0,
  };
}

async function pptx(m: ReviewMarkers): Promise<ReviewFixture> {
  const P = "http://schemas.openxmlformats.org/presentationml/2006/main";
  const A = "http://schemas.openxmlformats.org/drawingml/2006/main";
  const PC = "http://schemas.microsoft.com/office/powerpoint/2018/8/main";
  const ns = `xmlns:p="${P}" xmlns:a="${A}" xmlns:r="${OD}"`;
  const presentation = `${XML}<p:presentation ${ns}><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`;
  const shape = (id: number, text: string): string =>
    `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="Text ${id}"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>${text}</a:t></a:r></a:p></p:txBody></p:sp>`;
  const slide = `${XML}<p:sld ${ns}><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>${shape(2, "Alpha")}${shape(3, "Omega")}</p:spTree></p:cSld><p:extLst><p:ext uri="{6950BFC3-D8DA-4A85-94F7-54DA5524770B}"><p188:commentRel xmlns:p188="${PC}" r:id="rId3"/></p:ext></p:extLst></p:sld>`;
  const legacyAuthors = `${XML}<p:cmAuthorLst ${ns}><p:cmAuthor id="0" name="${m.author}" initials="AU" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>`;
  const legacy = `${XML}<p:cmLst ${ns}><p:cm authorId="0" dt="2023-05-06T07:08:09.000" idx="1"><p:pos x="10" y="10"/><p:text>${m.comment} legacy</p:text></p:cm></p:cmLst>`;
  const authors = `${XML}<p188:authorLst xmlns:p188="${PC}"><p188:author id="{CCCCCCCC-0000-0000-0000-000000000001}" name="${m.author}" initials="AU" userId="${m.author}@example.com" providerId="AD"/></p188:authorLst>`;
  const modern = `${XML}<p188:cmLst xmlns:p188="${PC}" xmlns:a="${A}"><p188:cm id="{DDDDDDDD-0000-0000-0000-000000000001}" authorId="{CCCCCCCC-0000-0000-0000-000000000001}" created="${DATE}"><pc:sldMkLst xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/command"><pc:docMk/><pc:sldMk cId="1" sldId="256"/></pc:sldMkLst><p188:replyLst><p188:reply id="{DDDDDDDD-0000-0000-0000-000000000002}" authorId="{CCCCCCCC-0000-0000-0000-000000000001}" created="${DATE}"><p188:txBody><a:bodyPr/><a:p><a:r><a:t>${m.comment} modern reply</a:t></a:r></a:p></p188:txBody></p188:reply></p188:replyLst><p188:txBody><a:bodyPr/><a:p><a:r><a:t>${m.comment} modern</a:t></a:r></a:p></p188:txBody></p188:cm></p188:cmLst>`;
  const PT = "application/vnd.openxmlformats-officedocument.presentationml";
  const parts: Part[] = [
    ["[Content_Types].xml", contentTypes([
      ["/ppt/presentation.xml", `${PT}.presentation.main+xml`],
      ["/ppt/slides/slide1.xml", `${PT}.slide+xml`],
      ["/ppt/commentAuthors.xml", `${PT}.commentAuthors+xml`],
      ["/ppt/comments/comment1.xml", `${PT}.comments+xml`],
      ["/ppt/authors.xml", "application/vnd.ms-powerpoint.authors+xml"],
      ["/ppt/comments/modernComment_100_0.xml", "application/vnd.ms-powerpoint.comments+xml"],
    ])],
    ROOT_RELS("ppt/presentation.xml"),
    ["ppt/presentation.xml", presentation],
    ["ppt/_rels/presentation.xml.rels", rels([
      ["rId1", `${OD}/commentAuthors`, "commentAuthors.xml"],
      ["rId2", `${OD}/slide`, "slides/slide1.xml"],
      ["rId3", "http://schemas.microsoft.com/office/2018/10/relationships/authors", "authors.xml"],
    ])],
    ["ppt/slides/slide1.xml", slide],
    ["ppt/slides/_rels/slide1.xml.rels", rels([
      ["rId1", `${OD}/comments`, "../comments/comment1.xml"],
      ["rId3", "http://schemas.microsoft.com/office/2018/10/relationships/comments", "../comments/modernComment_100_0.xml"],
    ])],
    ["ppt/commentAuthors.xml", legacyAuthors],
    ["ppt/comments/comment1.xml", legacy],
    ["ppt/authors.xml", authors],
    ["ppt/comments/modernComment_100_0.xml", modern],
  ];
  return {
    bytes: await zip(parts),
    finalText: ["Alpha", "Omega"],
    reviewParts: ["ppt/commentAuthors.xml", "ppt/comments/comment1.xml", "ppt/authors.xml", "ppt/comments/modernComment_100_0.xml"],
    comments: 3,
    trackedChanges: 0,
  };
}

async function odt(m: ReviewMarkers): Promise<ReviewFixture> {
  const info = `<office:change-info><dc:creator>${m.author}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info>`;
  const changes = `<text:tracked-changes text:track-changes="true"><text:changed-region xml:id="ct1" text:id="ct1"><text:insertion>${info}</text:insertion></text:changed-region><text:changed-region xml:id="ct2" text:id="ct2"><text:deletion>${info}<text:p>${m.deleted} deleted</text:p></text:deletion></text:changed-region><text:changed-region xml:id="ct3" text:id="ct3"><text:format-change>${info}</text:format-change></text:changed-region></text:tracked-changes>`;
  const note = `<office:annotation office:name="c1"><dc:creator>${m.author}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date><meta:creator-initials>AU</meta:creator-initials><text:p>${m.comment} annotation</text:p></office:annotation>`;
  const body = `<office:text>${changes}<text:p>Alpha <text:change-start text:change-id="ct1"/>${m.inserted} <text:change-end text:change-id="ct1"/><text:change text:change-id="ct2"/>${note}Omega<office:annotation-end office:name="c1"/></text:p><text:p><text:change-start text:change-id="ct3"/>Beta<text:change-end text:change-id="ct3"/></text:p></office:text>`;
  const content = `${XML}<office:document-content ${ODF_NS} office:version="1.3"><office:body>${body}</office:body></office:document-content>`;
  const mime = "application/vnd.oasis.opendocument.text";
  const manifest = `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`;
  return {
    bytes: await zip([["mimetype", mime], ["content.xml", content], ["META-INF/manifest.xml", manifest]]),
    finalText: [`Alpha ${m.inserted} Omega`, "Beta"],
    reviewParts: [],
    comments: 1,
    trackedChanges: 3,
  };
}
