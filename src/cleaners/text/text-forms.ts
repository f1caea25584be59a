import { holdsPosition, srtCues } from "../media/telemetry.js";

/**
 * Formats made of text whose fields are metadata: ExifTool names them TXT like any text, but
 * handing one back byte for byte would keep what it gives away. An e-mail's or a news post's
 * header block (Received lines with addresses, Message-ID, X-Mailer, User-Agent), an mbox of
 * them, an iCalendar file (PRODID, ORGANIZER, UID, DTSTAMP), a saved HTTP message, a web crawl's
 * archive (WARC and ARC records: the crawler's host, address and operator, each page's server
 * headers), a Windows Internet shortcut (its icon's path on the author's disk, its dates), a
 * playlist (M3U, PLS, ffconcat: paths on the author's disk, which ffmpeg would also follow) and a
 * GPS recorder's log (an IGC flight log, whose header names the pilot, the crew, the aircraft and
 * the recorder; NMEA sentences, each a position and a time; a drone's or dash cam's SRT
 * subtitles, each cue a position, as their videos carry them: media/telemetry.ts) are named (a
 * robots.txt, whose lines look like headers too, names none of a mail's), and so is markup
 * ExifTool did not read as XML or HTML, so that the file is refused as an unsupported type
 * rather than called clean.
 */
const MAIL_HEADERS: ReadonlySet<string> = new Set([
  "received", "return-path", "message-id", "from", "to", "cc", "subject", "date", "mime-version",
  "newsgroups", "path", "references", "in-reply-to", "x-mailer", "delivered-to", "reply-to",
]);
const HEADER_LINE = /^([\x21-\x39\x3b-\x7e]+):/;
/** An IGC file's first record: A, the recorder maker's three-character code; then its header's H records, as FAI's IGC specification orders them. */
const IGC_START = /^A[A-Z0-9]{3}[^\r\n]*\r?\nH[FOP][A-Z]{3}/;
/** An NMEA 0183 sentence: `$`, the talker and sentence codes, fields, `*` and the checksum's two hex digits. */
const NMEA_SENTENCE = /^\$[A-Z][A-Z0-9]{3,5},[^\r\n]*\*[0-9A-Fa-f]{2}\r?$/;
/** Cues of SRT telemetry among those of the file's start: enough that a film's subtitles naming places now and then are not mistaken for it. */
const MIN_TELEMETRY_CUES = 2;
/** Markup past a broken first tag: a comment, a processing instruction, a closing tag or a namespace declaration. */
const MARKUP = /<!--|<\?|<\/[A-Za-z_]|\sxmlns[:=]/;
/** Of a header block, the lines looked at: a mail's first headers are the telling ones. */
const MAX_HEADER_LINES = 64;

/**
 * What a text file is when it is one of those formats, from its first characters (null: plain
 * text). Markup in UTF-16 or UTF-32 is among them: ExifTool reads any file with such a byte-order
 * mark as text, an HTML page or an XML file too, whose cleaners would not take it.
 */
export function textFormOf(text: string, wide: boolean): string | null {
  if (wide && /^\s*</.test(text)) return /^\s*<(!doctype\s+html|html|head|body)\b/i.test(text) ? "HTML in UTF-16 or UTF-32" : "XML in UTF-16 or UTF-32";
  // ExifTool reads any other text starting with a tag, a declaration or a comment (an XML file
  // without its declaration, an SVG whose declaration lost a bit) as plain text; its comments
  // and attributes would go back as they are. It does the same with a file whose first tag a
  // flipped bit broke ("<>xml") when markup follows. A syslog line's "<134>" is no tag.
  if (/^\s*<[?!A-Za-z_]/.test(text) || (/^\s*</.test(text) && MARKUP.test(text))) return "XML or HTML that ExifTool reads as plain text";
  if (/^#EXTM3U/.test(text)) return "M3U playlist";
  if (/^\[playlist\]/i.test(text)) return "PLS playlist";
  if (/^ffconcat version/.test(text)) return "ffconcat list";
  if (/^WARC\/\d/.test(text)) return "WARC web archive";
  if (/^filedesc:\/\//.test(text)) return "ARC web archive";
  if (/^HTTP\/\d(\.\d)? \d{3}\b/.test(text)) return "HTTP message";
  if (/^\[InternetShortcut\]/i.test(text)) return "Windows Internet shortcut";
  if (/^\s*BEGIN:VCALENDAR/i.test(text)) return "iCalendar";
  if (/^\s*BEGIN:VCARD/i.test(text)) return "vCard";
  if (/^From \S/.test(text)) return "e-mail message";
  if (IGC_START.test(text)) return "IGC flight log";
  if (NMEA_SENTENCE.test(text.split("\n", 1)[0]!)) return "NMEA GPS log";
  if (isTelemetrySrt(text)) return "drone or dash cam telemetry (SRT)";
  const lines = text.split(/\r?\n/, MAX_HEADER_LINES);
  let headers = 0;
  let known = false;
  for (const line of lines) {
    if (line === "") break;
    if (/^[ \t]/.test(line) && headers > 0) continue;
    const name = HEADER_LINE.exec(line)?.[1];
    if (name == null) return null;
    headers++;
    known ||= MAIL_HEADERS.has(name.toLowerCase());
  }
  return headers >= 2 && known ? "e-mail message" : null;
}

/** SRT subtitles most of whose cues (in the file's start) hold a position: a flight or drive log. */
function isTelemetrySrt(text: string): boolean {
  const cues = srtCues(text);
  return cues.length >= MIN_TELEMETRY_CUES && cues.filter(holdsPosition).length * 2 > cues.length;
}
