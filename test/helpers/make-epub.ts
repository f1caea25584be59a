import { zip } from "./make-office.js";

/**
 * An EPUB 3 book with an EPUB 2 table of contents, made by hand, with a marker in every
 * metadata place the format and its tools use: the package's Dublin Core elements (creator
 * with its file-as and role, contributor, publisher, date, rights, description, subject,
 * source, the unique identifier and a second calibre identifier), meta elements (calibre's,
 * refinements, the modification date), a link, an XML comment, the NCX's uid, author and
 * generator, calibre's bookmarks file and Apple's iTunes metadata; the cover is a JPEG whose
 * EXIF Artist holds the marker. Title and language are the book's own ("A Short Book", en).
 */
export const EPUB_CHAPTER = "OEBPS/chapter1.xhtml";
export const EPUB_COVER = "OEBPS/images/cover.jpg";
export const EPUB_OPF = "OEBPS/content.opf";

export function makeMarkedEpub(m: string, coverJpeg: Buffer): Promise<Buffer> {
  const opf = `<?xml version="1.0" encoding="UTF-8"?>
<!-- made by ${m} -->
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="bookid" prefix="calibre: https://calibre-ebook.com">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
<dc:identifier id="bookid">urn:isbn:${m}</dc:identifier>
<dc:identifier id="calibre_id" opf:scheme="calibre">${m}-calibre-uuid</dc:identifier>
<dc:title id="t1">A Short Book</dc:title>
<dc:language>en</dc:language>
<dc:creator id="creator" opf:role="aut" opf:file-as="${m}, file-as">${m} creator</dc:creator>
<dc:contributor opf:role="bkp">${m} contributor</dc:contributor>
<dc:publisher>${m} publisher</dc:publisher>
<dc:date>2021-03-04T05:06:07Z</dc:date>
<dc:rights>${m} rights</dc:rights>
<dc:description>${m} description</dc:description>
<dc:subject>${m} subject</dc:subject>
<dc:source>${m} source</dc:source>
<meta refines="#creator" property="file-as">${m} refined</meta>
<meta property="dcterms:modified">2021-03-04T05:06:07Z</meta>
<meta name="calibre:author_link_map" content="{&quot;${m}&quot;: &quot;&quot;}"/>
<meta name="calibre:timestamp" content="2021-03-04T05:06:07+00:00"/>
<meta name="cover" content="cover-image"/>
<link rel="record" href="https://example.com/${m}.xml" media-type="application/marc"/>
</metadata>
<manifest>
<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="ch1" href="chapter1.xhtml" media-type="application/xhtml+xml"/>
<item id="css" href="style.css" media-type="text/css"/>
<item id="cover-image" href="images/cover.jpg" media-type="image/jpeg" properties="cover-image"/>
</manifest>
<spine toc="ncx"><itemref idref="ch1"/></spine>
</package>`;
  const ncx = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" "http://www.daisy.org/z3986/2005/ncx-2005-1.dtd">
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head><meta name="dtb:uid" content="urn:isbn:${m}"/><meta name="dtb:depth" content="1"/><meta name="dtb:generator" content="${m} generator"/></head>
<docTitle><text>A Short Book</text></docTitle><docAuthor><text>${m} author</text></docAuthor>
<navMap><navPoint id="n1" playOrder="1"><navLabel><text>Chapter One</text></navLabel><content src="chapter1.xhtml"/></navPoint></navMap></ncx>`;
  const xhtml = (title: string, body: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>${title}</title><link rel="stylesheet" href="style.css"/></head><body>${body}</body></html>`;
  return zip([
    ["mimetype", "application/epub+zip"],
    ["META-INF/container.xml", `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="${EPUB_OPF}" media-type="application/oebps-package+xml"/></rootfiles></container>`],
    ["META-INF/calibre_bookmarks.txt", `encoding=json+base64:\n${Buffer.from(JSON.stringify([{ title: m, pos: 1 }])).toString("base64")}`],
    ["iTunesMetadata.plist", `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>artistName</key><string>${m}</string></dict></plist>`],
    [EPUB_OPF, opf],
    ["OEBPS/toc.ncx", ncx],
    ["OEBPS/nav.xhtml", xhtml("Contents", `<nav epub:type="toc"><ol><li><a href="chapter1.xhtml">Chapter One</a></li></ol></nav>`)],
    [EPUB_CHAPTER, xhtml("Chapter One", `<h1>Chapter One</h1><p>It was a bright cold day in April.</p><img src="images/cover.jpg" alt="cover"/>`)],
    ["OEBPS/style.css", "body { font-family: serif; }\n"],
    [EPUB_COVER, coverJpeg],
  ]);
}
