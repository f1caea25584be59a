import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { embedObjects } from "./helpers/make-ole-objects.js";
import { makeJpeg } from "./helpers/make-images.js";
import { attachedFiles, makePdfWithAttachments } from "./helpers/make-pdf.js";
import { handZip } from "./helpers/make-archives.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;
const MARKER = `Textmark${crypto.randomBytes(6).toString("hex")}`;
/** What the embedded text files say: content, which stays. */
const WORDS = "Meeting at noon.\r\nBring the figures: 12,5 €.\r\n";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-text-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function utf32be(text: string): Buffer {
  const points = [...text].map((c) => c.codePointAt(0)!);
  const out = Buffer.alloc(points.length * 4);
  points.forEach((p, i) => out.writeUInt32BE(p, i * 4));
  return out;
}

const ENCODINGS: ReadonlyArray<[string, Buffer]> = [
  ["UTF-8 with a byte-order mark and Windows line ends", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(WORDS, "utf8")])],
  ["UTF-16LE", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${WORDS}𝄞 and a tab\t\n`, "utf16le")])],
  // ExifTool reads 64 KB of a text file and calls it none if they hold the end-of-file byte.
  ["Latin-1 ending in a DOS end-of-file byte", Buffer.concat([Buffer.from("Café, crème brûlée.\n".repeat(4000), "latin1"), Buffer.from([0x1a])])],
  ["UTF-32BE", Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), utf32be(WORDS)])],
  ["a CSV", Buffer.from("name,amount\nJane,12\nJohn,14\n".repeat(100), "utf8")],
];

describe("POST /api/v1/remove on plain text", () => {
  it.each(ENCODINGS)("hands back %s byte for byte: it has no place for metadata", async (_what, bytes) => {
    const file = await savedIn(dir, "notes.txt", bytes);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("TXT");
    const { status, body, cleaned } = await removeViaApi(server, file, "notes.txt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(cleaned!.equals(bytes)).toBe(true);
  });

  it("refuses a file that is text where ExifTool looks (its first 64 KB) and a photo with its EXIF after", async () => {
    const photo = await fs.readFile(await makeJpeg(dir, MARKER));
    const file = await savedIn(dir, "notes.txt", Buffer.concat([Buffer.from("plain words\n".repeat(6000)), photo]));
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("TXT");
    const { status, body } = await removeViaApi(server, file, "notes.txt");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The file starts as text but holds data that is not text.");
  });

  it.each([
    ["an e-mail", `Received: from mail.example.com (203.0.113.7)\r\nFrom: ${MARKER} <jane@example.com>\r\nMessage-ID: <${MARKER}@example.com>\r\nSubject: Figures\r\n\r\n${WORDS}`, "e-mail message"],
    ["an mbox", `From jane@example.com Mon Jun 01 10:00:00 2009\nX-Mailer: ${MARKER}\n\n${WORDS}`, "e-mail message"],
    ["a news post", `Path: news.example.com!${MARKER}\nNewsgroups: comp.misc\nFrom: jane\n\n${WORDS}`, "e-mail message"],
    ["a web crawl's archive (WARC)", `WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2019-12-10T10:00:01Z\r\n\r\nhostname: ${MARKER}\r\nip: 192.0.2.7\r\n`, "WARC web archive"],
    ["a web crawl's archive (ARC)", `filedesc://${MARKER}.arc 127.0.0.1 20140216050221 text/plain 75\n1 0 LiveWeb Capture\n`, "ARC web archive"],
    ["an M3U playlist", `#EXTM3U\n#EXTINF:123,Song\nC:\\Users\\${MARKER}\\Music\\song.mp3\n`, "M3U playlist"],
    ["a PLS playlist", `[playlist]\nFile1=/home/${MARKER}/Music/song.mp3\nNumberOfEntries=1\n`, "PLS playlist"],
    ["a glider's flight log (IGC)", `AXMP eTrex Venture HC Software Version 3.10\r\nHFDTE050110\r\nHOPLTPILOT: ${MARKER}\r\nHOGIDGLIDERID: D-1234\r\nB1108334415163N07631126WA0009500095\r\n`, "IGC flight log"],
    ["a GPS receiver's NMEA log", "$GPRMC,112723.000,A,5040.3182,N,00505.9469,E,28.66,138.74,240410,,,A*51\r\n$GPRMC,112742.000,A,5040.2023,N,00506.1107,E,27.89,139.01,240410,,,A*56\r\n", "NMEA GPS log"],
    ["a saved HTTP response", `HTTP/1.1 200 OK\r\nServer: ${MARKER}\r\nSet-Cookie: id=${MARKER}\r\n\r\n${WORDS}`, "HTTP message"],
    // Without its byte-order mark ExifTool names it ICS itself.
    ["an XML file without a declaration", `<notes author="${MARKER}"><p>hi</p></notes>\n`, "XML or HTML that ExifTool reads as plain text"],
    ["an SVG whose XML declaration lost a bit (\"x\" became \"\u00f8\")", `<?\u00f8ml version="1.0"?>\n<!-- Created by ${MARKER} -->\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n`, "XML or HTML that ExifTool reads as plain text"],
    // Fuzz seed 2024120640, #5772: the declaration's "?" became ">", and the drawing went back whole.
    ["an SVG whose declaration lost its \"?\" (\"<?xml\" became \"<>xml\")", `<>xml version="1.0"?>\n<!-- Created by ${MARKER} -->\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n`, "XML or HTML that ExifTool reads as plain text"],
    ["an iCalendar file with a byte-order mark", `\uFEFFBEGIN:VCALENDAR\r\nPRODID:-//${MARKER}//EN\r\nBEGIN:VEVENT\r\nORGANIZER:mailto:${MARKER}@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`, "iCalendar"],
  ])("refuses %s, text whose fields are metadata, naming what it is", async (_what, text, type) => {
    const file = await savedIn(dir, "notes.txt", Buffer.from(text, "utf8"));
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("TXT");
    const { status, body } = await removeViaApi(server, file, "notes.txt");
    expect(status).toBe(422);
    expect(body["error"]).toBe(`Metadata removal is not supported for this file type (${type})`);
  });

  it.each([
    ["an HTML page", "<!DOCTYPE html>\r\n<html><head><meta name=\"author\" content=\"MARK\"><title>Notes</title></head><body>hi</body></html>\r\n", "HTML in UTF-16 or UTF-32"],
    ["an XML file without a declaration", "<notes author=\"MARK\"><p>hi</p></notes>\r\n", "XML in UTF-16 or UTF-32"],
  ])("refuses %s in UTF-16, which ExifTool reads as text, naming it", async (_what, markup, type) => {
    const file = await savedIn(dir, "page.html", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(markup.replace("MARK", MARKER), "utf16le")]));
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("TXT");
    const { status, body } = await removeViaApi(server, file, "page.html");
    expect(status).toBe(422);
    expect(body["error"]).toBe(`Metadata removal is not supported for this file type (${type})`);
  });

  it("hands back a syslog file, whose lines start with \"<\" but no tag", async () => {
    const bytes = Buffer.from("<134>Oct 11 22:14:15 gateway app: started\n<134>Oct 11 22:14:16 gateway app: ready\n");
    const file = await savedIn(dir, "messages.log", bytes);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("TXT");
    const { status, body, cleaned } = await removeViaApi(server, file, "messages.log");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.equals(bytes)).toBe(true);
  });

  it("hands back a robots.txt, whose lines look like a mail's headers but name none of them", async () => {
    const bytes = Buffer.from("User-Agent: goodbot\nDisallow:\n\nUser-Agent: badbot\nDisallow: /\n");
    const file = await savedIn(dir, "robots.txt", bytes);
    const { status, body, cleaned } = await removeViaApi(server, file, "robots.txt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.equals(bytes)).toBe(true);
  });

  it("refuses UTF-16 text holding a lone surrogate or a NUL further on", async () => {
    const text = Buffer.from("plain words\n".repeat(100), "utf16le");
    for (const bad of [Buffer.from([0x00, 0xd8, 0x41, 0x00]), Buffer.from([0x00, 0x00])]) {
      const file = await savedIn(dir, "notes.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), text, bad, Buffer.from("end\n", "utf16le")]));
      const { status, body } = await removeViaApi(server, file, "notes.txt");
      expect(status).toBe(422);
      expect(body["error"]).toBe("The file starts as text but holds data that is not text.");
    }
  });
});

describe("POST /api/v1/remove on files holding a text file (what made them 422s: Tika's testWPSAttachment, testPDF_childAttachments)", () => {
  it("a Word 97-2003 document with a text file packaged by Object Packager: the text stays, the folder it was packaged from goes", async () => {
    const doc = await makeMarkedLegacyOffice(dir, "doc", `${MARKER}doc`);
    await embedObjects(doc, [{ kind: "packaged", name: "notes.txt", sourcePath: `C:\\Users\\${MARKER}\\notes.txt`, data: Buffer.from(WORDS, "latin1") }]);
    const { status, body, cleaned } = await removeViaApi(server, doc, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const native = CFB.read(cleaned!, { type: "buffer" }).FileIndex.find((e) => e.name === "\x01Ole10Native");
    expect(Buffer.from(native!.content as Uint8Array).includes(Buffer.from(WORDS, "latin1"))).toBe(true);
  }, 60_000);

  it("a PDF with a text file attached: the text stays, its specification's path and dates go", async () => {
    const text = Buffer.from(WORDS, "utf8");
    const { file } = await makePdfWithAttachments(dir, MARKER, { inner: text, nested: false });
    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const attached = [...(await attachedFiles(await savedIn(dir, "cleaned.pdf", cleaned!))).values()];
    expect(attached).toHaveLength(1);
    expect(attached[0]!.equals(text)).toBe(true);
  }, 60_000);

  it("a ZIP with a text member beside a photo: cleaned without unknownMembers, the text as it was", async () => {
    const photo = await fs.readFile(await makeJpeg(dir, MARKER));
    const text = Buffer.from(WORDS, "utf8");
    const archive = await savedIn(dir, "bundle.zip", handZip([{ name: "photo.jpg", data: photo }, { name: "notes/todo.txt", data: text, deflate: true }]));
    const { status, body, cleaned } = await removeViaApi(server, archive, "bundle.zip");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const members = (await readZip(cleaned!)).members;
    expect(members.map((m) => m.name)).toEqual(["photo.jpg", "notes/todo.txt"]);
    expect(members[1]!.data.equals(text)).toBe(true);
  });
});
