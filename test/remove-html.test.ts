import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedJpeg, makeOffice, type Part, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;
const MARKER = `Htmlmark${crypto.randomBytes(6).toString("hex")}`;
const BODY = `<body lang=FR>\r\n<p class=MsoNormal>Réunion à midi&nbsp;: apportez les chiffres (12,5 €).</p>\r\n<script>var greeting = "bonjour";</script>\r\n</body>\r\n</html>\r\n`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-html-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A page as a browser saves one and Word exports one, the marker in every place such pages say who
 * made them and where they came from: the address it was saved from (a comment), `<meta>` author,
 * generator, description, keywords and Open Graph fields, Word's document properties (author,
 * last author, company) in a conditional comment, and a JSON-LD block.
 */
function page(): string {
  return [
    "<!DOCTYPE html>\r\n",
    `<!-- saved from url=(0044)https://intranet.example.com/${MARKER}/page.html -->\r\n`,
    '<html xmlns:o="urn:schemas-microsoft-com:office:office" lang="fr"><head>\r\n',
    '<meta http-equiv=Content-Type content="text/html; charset=utf-8">\r\n',
    '<meta name="viewport" content="width=device-width">\r\n',
    `<meta name="author" content="${MARKER} author">\r\n`,
    `<meta name=Generator content="Microsoft Word 15 ${MARKER}">\r\n`,
    `<meta name="description" content="${MARKER} description"><meta name="keywords" content="${MARKER} keywords">\r\n`,
    `<meta property="og:site_name" content="${MARKER} site">\r\n`,
    "<title>Compte rendu</title>\r\n",
    `<!--[if gte mso 9]><xml>\r\n <o:DocumentProperties>\r\n  <o:Author>${MARKER} author</o:Author>\r\n  <o:LastAuthor>${MARKER} last</o:LastAuthor>\r\n  <o:Company>${MARKER} company</o:Company>\r\n </o:DocumentProperties>\r\n</xml><![endif]-->\r\n`,
    `<script type="application/ld+json">{"@type": "Article", "author": {"name": "${MARKER}"}}</script>\r\n`,
    "</head>\r\n",
    BODY,
  ].join("");
}

describe("POST /api/v1/remove on HTML pages", () => {
  it.each([
    ["UTF-8", (text: string) => Buffer.from(text, "utf8")],
    ["Windows-1252", (text: string) => Buffer.from(text.replace("utf-8", "windows-1252").replace("€", "\x80"), "latin1")],
  ])("drops what says who made the page and where it came from, in %s; the title, text, markup and scripts stay byte for byte", async (_encoding, encode) => {
    const original = encode(page());
    const file = await savedIn(dir, "page.html", original);
    expect((await exiftool(["-s3", "-HTML:Author", file])).trim()).toContain(MARKER);

    const { status, body, cleaned } = await removeViaApi(server, file, "page.html");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const kept = encode(BODY);
    expect(cleaned!.subarray(cleaned!.length - kept.length).equals(kept)).toBe(true);
    const out = await savedIn(dir, "cleaned.html", cleaned!);
    const tags = (await exiftool(["-s", "-HTML:all", out])).trim().split("\n").map((l) => l.split(/\s+:\s+/)[0]!.trim());
    expect(tags.sort()).toEqual(["ContentType", "Title", "Viewport"]);
    expect((await exiftool(["-s3", "-HTML:Title", out])).trim()).toBe("Compte rendu");
  });

  it("keeps an XHTML page's XML declaration and style sheet instruction (its encoding, for an XML parser)", async () => {
    const prolog = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<?xml-stylesheet href="page.css" type="text/css"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n';
    const xhtml = Buffer.from(`${prolog}<html xmlns="http://www.w3.org/1999/xhtml"><head><meta name="author" content="${MARKER}"/><title>T</title></head><body><p>caf\u00e9</p></body></html>\n`, "latin1");
    const file = await savedIn(dir, "page.xhtml", xhtml);
    const { status, body, cleaned } = await removeViaApi(server, file, "page.xhtml");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.subarray(0, prolog.length).toString("latin1")).toBe(prolog);
    expect(cleaned!.includes(Buffer.from("<p>caf\u00e9</p>", "latin1"))).toBe(true);
  });

  it("cleans the page Word imports through altChunk (Tika's testAltChunkHTML.docx was a 422)", async () => {
    const docx = await makeOffice("docx", `${MARKER}docx`, await makeMarkedJpeg(dir, `${MARKER}picture`));
    const { members } = await readZip(docx.bytes);
    const parts = members.map((m): Part => {
      const text = m.data.toString("utf8");
      if (m.name === "[Content_Types].xml") return [m.name, text.replace("</Types>", '<Default Extension="htm" ContentType="text/html"/></Types>')];
      if (m.name === "word/_rels/document.xml.rels") return [m.name, text.replace("</Relationships>", '<Relationship Id="rIdChunk" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="afchunk.htm"/></Relationships>')];
      if (m.name === "word/document.xml") return [m.name, text.replace("</w:body>", '<w:altChunk r:id="rIdChunk"/></w:body>')];
      return [m.name, m.data];
    });
    const file = await savedIn(dir, "report.docx", await zip([...parts, ["word/afchunk.htm", Buffer.from(page(), "utf8")]]));
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.docx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const chunk = (await readZip(cleaned!)).members.find((m) => m.name === "word/afchunk.htm");
    expect(chunk!.data.toString("utf8").endsWith(BODY)).toBe(true);
  });

  it("cleans a page nesting 200,000 elements as a stream, in a moment, the service answering", async () => {
    const deep = Buffer.from(`<html><head><meta name="author" content="${MARKER}"><title>deep</title></head><body>${"<div>".repeat(200_000)}x${"</div>".repeat(200_000)}</body></html>`);
    const file = await savedIn(dir, "deep.html", deep);
    const started = Date.now();
    const { status, body, cleaned } = await removeViaApi(server, file, "deep.html");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});
