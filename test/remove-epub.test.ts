import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EPUB_CHAPTER, EPUB_COVER, EPUB_OPF, makeMarkedEpub } from "./helpers/make-epub.js";
import { makeMarkedJpeg, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature, run } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-epub-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function entry(file: string, name: string): Promise<Buffer> {
  return (await run("unzip", ["-p", file, name])).stdout;
}

/** A ZIP's files (no folders), `mimetype` first as a book needs it. */
async function unzipped(file: string): Promise<Array<[string, Buffer]>> {
  const parts = path.join(dir, `parts-${crypto.randomUUID()}`);
  await run("unzip", ["-q", file, "-d", parts]);
  const names = (await fs.readdir(parts, { recursive: true })).sort((a, b) => (a === "mimetype" ? -1 : b === "mimetype" ? 1 : a.localeCompare(b)));
  const entries: Array<[string, Buffer]> = [];
  for (const n of names) {
    const bytes = await fs.readFile(path.join(parts, n)).catch(() => null);
    if (bytes != null) entries.push([n, bytes]);
  }
  return entries;
}

/** The book through the service: 200, nothing remaining, the marker nowhere in the copy. */
async function cleanedWithout(file: string, name: string, marker: string): Promise<{ body: Record<string, unknown>; out: string }> {
  const { status, body, cleaned } = await removeViaApi(server, file, name);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = await savedIn(dir, `cleaned-${name}`, cleaned!);
  expect(await findMarker(out, marker)).toEqual([]);
  return { body, out };
}

describe("POST /api/v1/remove on EPUB", () => {
  it("copies the chapters the manifest names as XHTML whatever their names end with (older books name them .xml)", async () => {
    const marker = `Xmlchapter${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, "book.epub", await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const renamed = (await unzipped(book)).map(([name, bytes]): [string, Buffer] => [
      name.replace(/chapter1\.xhtml$/, "chapter1.xml"),
      name.endsWith(".opf") || name.endsWith(".ncx") || name.endsWith("nav.xhtml") ? Buffer.from(bytes.toString("utf8").replaceAll("chapter1.xhtml", "chapter1.xml")) : bytes,
    ]);
    const file = await savedIn(dir, "xml-chapters.epub", await zip(renamed));
    const { out } = await cleanedWithout(file, "xml-chapters.epub", marker);
    expect(await entry(out, "OEBPS/chapter1.xml")).toEqual(await entry(file, "OEBPS/chapter1.xml"));
  });

  it("drops the Finder's files of a book zipped on a Mac (__MACOSX AppleDouble files, .DS_Store), which no cleaner reads", async () => {
    const marker = `Finder${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, "book.epub", await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    // AppleDouble (magic 0x00051607, version 2) holding an extended attribute that names where the file came from.
    const where = Buffer.from(`com.apple.metadata:kMDItemWhereFroms\0https://example.com/${marker}`, "latin1");
    const appleDouble = Buffer.concat([Buffer.from("0005160700020000", "hex"), Buffer.alloc(16), where]);
    const dsStore = Buffer.concat([Buffer.from("\0\0\0\x01Bud1", "latin1"), Buffer.from(`${marker}.xhtml`, "utf16le")]);
    const entries = await unzipped(book);
    entries.push(["__MACOSX/OEBPS/._chapter1.xhtml", appleDouble], ["__MACOSX/._mimetype", appleDouble], ["OEBPS/.DS_Store", dsStore]);
    const file = await savedIn(dir, "mac.epub", await zip(entries));
    const { out } = await cleanedWithout(file, "mac.epub", marker);
    const listed = (await run("unzip", ["-Z1", out])).stdout.toString("utf8");
    expect(listed).not.toMatch(/__MACOSX|\.DS_Store|\/\._/);
    expect(await entry(out, EPUB_CHAPTER)).toEqual(await entry(file, EPUB_CHAPTER));
  });

  it("drops META-INF's files no reader reads (a bookmarks file under another name, notes), text files no package lists and unlisted files no cleaner handles, keeping the container", async () => {
    const marker = `Metainf${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, "book.epub", await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const bookmarks = `encoding=json+base64:\n${Buffer.from(JSON.stringify([{ title: marker, pos: 7 }])).toString("base64")}`;
    const entries = await unzipped(book);
    entries.push(
      ["META-INF/calibre_bmokmarks.txt", Buffer.from(bookmarks)],
      ["META-INF/notes/editor.txt", Buffer.from(`Ask ${marker} about chapter 2`)],
      ["META-INE/calibre_bookmarks.txt", Buffer.from(bookmarks)],
      ["OEBPS/todo.txt", Buffer.from(`Send to ${marker} on Monday`)],
      ["iTunesMetadatb.plist", Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>artistName</key><string>${marker}</string></dict></plist>`)],
    );
    const file = await savedIn(dir, "meta-inf.epub", await zip(entries));
    const { out } = await cleanedWithout(file, "meta-inf.epub", marker);
    const listed = (await run("unzip", ["-Z1", out])).stdout.toString("utf8").split("\n");
    expect(listed.filter((n) => n.startsWith("META-INF/") && !n.endsWith("/"))).toEqual(["META-INF/container.xml"]);
    expect(listed.filter((n) => n.endsWith(".txt") || n.endsWith(".plist"))).toEqual([]);
    expect(await entry(out, EPUB_CHAPTER)).toEqual(await entry(file, EPUB_CHAPTER));
  });

  it("strips the package metadata, calibre and iTunes files and the cover's EXIF; chapters and pictures stay", async () => {
    const marker = `Epubmark${crypto.randomBytes(5).toString("hex")}`;
    const file = await savedIn(dir, "book.epub", await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    expect(await findMarker(file, marker)).not.toEqual([]);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("EPUB");

    const { status, body, cleaned } = await removeViaApi(server, file, "book.epub");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = await savedIn(dir, "cleaned.epub", cleaned!);
    expect(await findMarker(out, marker)).toEqual([]);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("EPUB");

    // A valid container: mimetype first and stored, the same chapter, the same cover picture.
    expect(cleaned!.toString("latin1", 30, 38)).toBe("mimetype");
    expect(cleaned!.readUInt16LE(8)).toBe(0);
    expect(await entry(out, EPUB_CHAPTER)).toEqual(await entry(file, EPUB_CHAPTER));
    const cover = async (f: string): Promise<string> => pixelSignature(await savedIn(dir, "cover.jpg", await entry(f, EPUB_COVER)));
    expect(await cover(out)).toBe(await cover(file));

    // A unique identifier (new and random), the title and language, a modification date.
    const opf = (await entry(out, EPUB_OPF)).toString("utf8");
    expect(opf).toMatch(/<dc:identifier id="bookid">urn:uuid:[0-9a-f-]{36}<\/dc:identifier>/);
    expect(opf).toContain('unique-identifier="bookid"');
    expect(opf).toContain(">A Short Book</dc:title>");
    expect(opf).toContain("<dc:language>en</dc:language>");
    expect(opf).toContain('<meta property="dcterms:modified">2000-01-01T00:00:00Z</meta>');
    expect(opf).toContain('<meta name="cover" content="cover-image"/>');
    const uid = /urn:uuid:[0-9a-f-]{36}/.exec(opf)![0];
    expect((await entry(out, "OEBPS/toc.ncx")).toString("utf8")).toContain(`content="${uid}"`);
  });

  it("drops the ONIX and MARC records the package metadata links to, and a manifest item that lists one; reports them in findings", async () => {
    const marker = `Onixrec${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, "book.epub", await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const onix = `<?xml version="1.0" encoding="utf-8"?><ONIXMessage release="3.1"><Header><Sender><SenderName>${marker} sender</SenderName></Sender></Header><Product><RecordReference>${marker}</RecordReference></Product></ONIXMessage>`;
    const marc = `<?xml version="1.0"?><record xmlns="http://www.loc.gov/MARC21/slim"><datafield tag="100"><subfield code="a">${marker} author</subfield></datafield></record>`;
    const entries = (await unzipped(book)).map(([name, bytes]): [string, Buffer] => [
      name,
      name === EPUB_OPF
        ? Buffer.from(
            bytes
              .toString("utf8")
              .replace("</metadata>", '<link href="onix.xml" media-type="application/xml" properties="onix" rel="record"/><link href="records/marc.xml#r1" media-type="application/marcxml+xml" rel="record"/></metadata>')
              .replace("</manifest>", '<item id="marc" href="records/marc.xml" media-type="application/marcxml+xml"/></manifest>'),
          )
        : bytes,
    ]);
    entries.push(["OEBPS/onix.xml", Buffer.from(onix)], ["OEBPS/records/marc.xml", Buffer.from(marc)]);
    const file = await savedIn(dir, "onix.epub", await zip(entries));
    const { body, out } = await cleanedWithout(file, "onix.epub", marker);
    const listed = (await run("unzip", ["-Z1", out])).stdout.toString("utf8").split("\n");
    expect(listed).not.toContain("OEBPS/onix.xml");
    expect(listed).not.toContain("OEBPS/records/marc.xml");
    // Still a valid book: every manifest item names a file that is there.
    const opf = (await entry(out, EPUB_OPF)).toString("utf8");
    const hrefs = [...opf.matchAll(/<item\b[^>]*\bhref="([^"]+)"/g)].map((m) => `OEBPS/${m[1]}`);
    expect(hrefs.length).toBeGreaterThan(3);
    for (const h of hrefs) expect(listed).toContain(h);
    expect(await entry(out, EPUB_CHAPTER)).toEqual(await entry(file, EPUB_CHAPTER));

    const findings = body["findings"] as Array<{ kind: string; value?: string }>;
    expect(findings.find((f) => f.kind === "hidden" && f.value?.includes("onix.xml"))?.value).toContain("records/marc.xml");
  });

  it("keeps what the book needs when its metadata links to it: container, package, chapter, table of contents, a picture the chapter shows", async () => {
    const marker = `Linkall${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, "book.epub", await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const links = ["../META-INF/container.xml", "content.opf", "chapter1.xhtml", "nav.xhtml", "toc.ncx", "images/cover.jpg", "../../outside.xml", "onix.xml"]
      .map((href) => `<link rel="record" href="${href}" media-type="application/xml"/>`)
      .join("");
    const entries = (await unzipped(book)).map(([name, bytes]): [string, Buffer] => [name, name === EPUB_OPF ? Buffer.from(bytes.toString("utf8").replace("</metadata>", `${links}</metadata>`)) : bytes]);
    entries.push(["OEBPS/onix.xml", Buffer.from(`<ONIXMessage><Header><Sender><SenderName>${marker}</SenderName></Sender></Header></ONIXMessage>`)]);
    const file = await savedIn(dir, "links.epub", await zip(entries));

    const { out } = await cleanedWithout(file, "links.epub", marker);
    const listed = (await run("unzip", ["-Z1", out])).stdout.toString("utf8").split("\n");
    for (const name of ["META-INF/container.xml", EPUB_OPF, EPUB_CHAPTER, "OEBPS/nav.xhtml", "OEBPS/toc.ncx", EPUB_COVER]) expect(listed).toContain(name);
    expect(listed).not.toContain("OEBPS/onix.xml");
    expect(await entry(out, EPUB_CHAPTER)).toEqual(await entry(file, EPUB_CHAPTER));
    const opf = (await entry(out, EPUB_OPF)).toString("utf8");
    expect(opf).toContain('href="images/cover.jpg"');
    expect(opf).toContain('<itemref idref="ch1"/>');
  });

  it("refuses a book whose content is encrypted (DRM), in words", async () => {
    const bytes = await zip([
      ["mimetype", "application/epub+zip"],
      ["META-INF/container.xml", `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`],
      [
        "META-INF/encryption.xml",
        `<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#"><EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><resource xmlns="http://ns.adobe.com/adept">urn:uuid:0</resource></KeyInfo><CipherData><CipherReference URI="chapter.xhtml"/></CipherData></EncryptedData></encryption>`,
      ],
      ["content.opf", `<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier><dc:title>T</dc:title><dc:language>en</dc:language></metadata><manifest/><spine/></package>`],
    ]);
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "locked.epub", bytes));
    expect(status).toBe(422);
    expect(body["error"]).toMatch(/^The EPUB book is protected: its content or fonts are encrypted/);
    expect(cleaned).toBeNull();
  });
});

describe("POST /api/v1/remove on an EPUB 3 book with collections (an index, a preview)", () => {
  /** The marked book with `collections` added to its package document, after the spine. */
  async function withCollections(marker: string, collections: string): Promise<string> {
    const book = await savedIn(dir, `book-${crypto.randomUUID()}.epub`, await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const parts = (await unzipped(book)).map(([name, bytes]): [string, Buffer] => [
      name,
      name === EPUB_OPF ? Buffer.from(bytes.toString("utf8").replace("</spine>", `</spine>\n${collections}`)) : bytes,
    ]);
    return savedIn(dir, `collections-${crypto.randomUUID()}.epub`, await zip(parts));
  }

  it("keeps the collections' roles and links (epubcheck's index-collection-valid.epub was refused)", async () => {
    const marker = `Collection${crypto.randomBytes(5).toString("hex")}`;
    const collections = `<collection role="index"><link href="chapter1.xhtml"/><collection role="index-group"><link href="nav.xhtml" media-type="application/xhtml+xml"/></collection></collection>`;
    const file = await withCollections(marker, collections);
    const { out } = await cleanedWithout(file, "collections.epub", marker);
    expect((await entry(out, EPUB_OPF)).toString("utf8")).toContain(collections);
  });

  it("does not hand back a collection's own metadata naming a person: the verification reads it and refuses the copy", async () => {
    const marker = `Collmeta${crypto.randomBytes(5).toString("hex")}`;
    const file = await withCollections(marker, `<collection role="preview"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>${marker}</dc:creator></metadata><link href="chapter1.xhtml"/></collection>`);
    const { status, body } = await removeViaApi(server, file, "collection-metadata.epub");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The file's metadata could not be removed completely.");
  });
});

describe("POST /api/v1/remove on an EPUB with more than one rendition, or text of other kinds", () => {
  it("cleans every rendition's package document alike, under one new identifier (epubcheck's renditions-basic-valid.epub was refused)", async () => {
    const marker = `Rendition${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, `book-${crypto.randomUUID()}.epub`, await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const parts = await unzipped(book);
    // A second, fixed-layout rendition: the same files under FXL/, its package as marked as the first.
    const second = parts.filter(([name]) => name.startsWith("OEBPS/")).map(([name, bytes]): [string, Buffer] => [name.replace(/^OEBPS\//, "FXL/"), bytes]);
    const container = `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:rendition="http://www.idpf.org/2013/rendition"><rootfiles><rootfile full-path="${EPUB_OPF}" media-type="application/oebps-package+xml"/><rootfile full-path="FXL/content.opf" media-type="application/oebps-package+xml" rendition:layout="pre-paginated"/></rootfiles></container>`;
    const metadata = `<?xml version="1.0"?><metadata xmlns="http://www.idpf.org/2013/metadata" xmlns:dc="http://purl.org/dc/elements/1.1/" unique-identifier="uid"><dc:identifier id="uid">urn:isbn:${marker}</dc:identifier><dc:creator>${marker}</dc:creator></metadata>`;
    const file = await savedIn(dir, "renditions.epub", await zip([...parts.map(([name, bytes]): [string, Buffer | string] => [name, name === "META-INF/container.xml" ? container : bytes]), ...second, ["META-INF/metadata.xml", metadata]]));

    const { out } = await cleanedWithout(file, "renditions.epub", marker);
    const identifiers = await Promise.all(["OEBPS/content.opf", "FXL/content.opf"].map(async (opf) => /<dc:identifier[^>]*>([^<]*)</.exec((await entry(out, opf)).toString("utf8"))?.[1]));
    expect(identifiers[0]).toMatch(/^urn:uuid:/);
    expect(identifiers[1]).toBe(identifiers[0]);
    expect((await entry(out, "FXL/toc.ncx")).toString("utf8")).toContain(`content="${identifiers[0]}"`);
    for (const chapter of ["OEBPS/chapter1.xhtml", "FXL/chapter1.xhtml"]) expect((await entry(out, chapter)).equals(await entry(book, EPUB_CHAPTER))).toBe(true);
  });

  it("copies a dictionary's search key map and a DTBook chapter as the book's text", async () => {
    const marker = `Dictionary${crypto.randomBytes(5).toString("hex")}`;
    const book = await savedIn(dir, `book-${crypto.randomUUID()}.epub`, await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const searchKeys = `<?xml version="1.0" encoding="UTF-8"?>\n<search-key-map xmlns="http://www.idpf.org/2007/ops" xml:lang="en"><search-key-group href="chapter1.xhtml#a"><match value="bright"/></search-key-group></search-key-map>`;
    const dtbook = `<?xml version="1.0" encoding="UTF-8"?>\n<dtbook xmlns="http://www.daisy.org/z3986/2005/dtbook/" version="2005-3"><head><meta name="dtb:uid" content="x"/><meta name="dc:Title" content="A Short Book"/></head><book><bodymatter><level1><p>A cold day.</p></level1></bodymatter></book></dtbook>`;
    const items = `<item id="keys" href="search.xml" media-type="application/vnd.epub.search-key-map+xml" properties="search-key-map"/><item id="dtb" href="part2.xml" media-type="application/x-dtbook+xml"/>`;
    const parts = (await unzipped(book)).map(([name, bytes]): [string, Buffer] => [name, name === EPUB_OPF ? Buffer.from(bytes.toString("utf8").replace("</manifest>", `${items}</manifest>`)) : bytes]);
    const file = await savedIn(dir, "dictionary.epub", await zip([...parts, ["OEBPS/search.xml", searchKeys], ["OEBPS/part2.xml", dtbook]]));

    const { out } = await cleanedWithout(file, "dictionary.epub", marker);
    expect((await entry(out, "OEBPS/search.xml")).toString("utf8")).toBe(searchKeys);
    expect((await entry(out, "OEBPS/part2.xml")).toString("utf8")).toBe(dtbook);
  });
});

describe("POST /api/v1/remove on an EPUB whose fonts are obfuscated (IDPF's or Adobe's way)", () => {
  const IDPF = "http://www.idpf.org/2008/embedding";
  const ADOBE = "http://ns.adobe.com/pdf/enc#RC";
  const FONT = "OEBPS/fonts/body.otf";
  /** A stand-in OpenType font: its signature, then bytes of no meaning past the obfuscated head. */
  const font = Buffer.concat([Buffer.from("OTTO", "latin1"), crypto.randomBytes(3000)]);

  function key(algorithm: string, identifier: string): Buffer {
    return algorithm === IDPF ? crypto.createHash("sha1").update(identifier.replace(/\s/g, "")).digest() : Buffer.from(identifier.replace(/^urn:uuid:/, "").replace(/-/g, ""), "hex");
  }

  /** XORs the head the algorithm obfuscates (1040 or 1024 bytes) with the key: obfuscates and reads back alike. */
  function obfuscate(algorithm: string, identifier: string, bytes: Buffer): Buffer {
    const k = key(algorithm, identifier);
    const out = Buffer.from(bytes);
    for (let i = 0; i < (algorithm === IDPF ? 1040 : 1024); i++) out[i]! ^= k[i % k.length]!;
    return out;
  }

  /** The marked book with its unique identifier set to `identifier`, holding the font obfuscated with `keyIdentifier`'s key. */
  async function withFont(marker: string, algorithm: string, identifier: string, keyIdentifier = identifier): Promise<string> {
    const book = await savedIn(dir, `book-${crypto.randomUUID()}.epub`, await makeMarkedEpub(marker, await makeMarkedJpeg(dir, marker)));
    const item = `<item id="font" href="fonts/body.otf" media-type="font/otf"/></manifest>`;
    const parts = (await unzipped(book)).map(([name, bytes]): [string, Buffer] => [
      name,
      name === EPUB_OPF ? Buffer.from(bytes.toString("utf8").replace(`urn:isbn:${marker}<`, `${identifier}<`).replace("</manifest>", item)) : bytes,
    ]);
    const encryption = `<?xml version="1.0" encoding="UTF-8"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#"><EncryptionMethod Algorithm="${algorithm}"/><CipherData><CipherReference URI="${FONT}"/></CipherData></EncryptedData></encryption>`;
    return savedIn(dir, `fonts-${crypto.randomUUID()}.epub`, await zip([...parts, ["META-INF/encryption.xml", encryption], [FONT, obfuscate(algorithm, keyIdentifier, font)]]));
  }

  for (const [algorithm, name, identifier] of [
    [IDPF, "IDPF's", (m: string) => `urn:isbn:${m}`],
    [ADOBE, "Adobe's", () => `urn:uuid:${crypto.randomUUID()}`],
  ] as const) {
    it(`obfuscates a font again under the copy's new identifier, ${name} way, so the font still reads (they were refused as protected)`, async () => {
      const marker = `Obfuscated${crypto.randomBytes(5).toString("hex")}`;
      const file = await withFont(marker, algorithm, identifier(marker));
      const { out } = await cleanedWithout(file, "fonts.epub", marker);
      const newIdentifier = /<dc:identifier[^>]*>([^<]*)</.exec((await entry(out, EPUB_OPF)).toString("utf8"))?.[1];
      expect(newIdentifier).toMatch(/^urn:uuid:/);
      expect(obfuscate(algorithm, newIdentifier!, await entry(out, FONT)).equals(font)).toBe(true);
      expect((await entry(out, "META-INF/encryption.xml")).toString("utf8")).toContain(FONT);
    });
  }

  it("refuses a book whose font no identifier of the book reads back (a key made some other way): changing the identifier would break it", async () => {
    const marker = `Otherkey${crypto.randomBytes(5).toString("hex")}`;
    const file = await withFont(marker, IDPF, `urn:isbn:${marker}`, "some other key");
    const { status, body } = await removeViaApi(server, file, "other-key.epub");
    expect(status).toBe(422);
    expect(String(body["error"])).toMatch(/^The EPUB book is protected/);
  });
});
