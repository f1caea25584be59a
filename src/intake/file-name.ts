/** Longest name kept, in UTF-8 bytes: under the 255-byte limit of common file systems and headers. */
export const MAX_FILE_NAME_BYTES = 200;

/** Extensions longer than this are not worth saving when a name is cut. */
const MAX_KEPT_EXTENSION_BYTES = 16;

/**
 * C0 and C1 controls (CR, LF and NUL included), DEL, the Unicode line and paragraph separators,
 * and the bidirectional controls that make `gpj.exe` display as `exe.jpg` (CVE-2021-42574 style).
 */
const UNWANTED = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A surrogate half without its partner: it has no UTF-8 form and breaks JSON and headers downstream. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Turns a name a client or a remote server gave into one that is safe to show, to store and to put
 * in a Content-Disposition header: no directory part (`/`, `\`, `..`), no control characters,
 * trimmed, at most {@link MAX_FILE_NAME_BYTES} UTF-8 bytes (cut between code points, keeping a short
 * extension). Returns `"file"` when nothing usable is left.
 *
 * The name is never used as a path on disk (temp names are generated, STYLE.md habit 11); this is
 * about what the client sees and what travels in headers.
 */
export function sanitizeFileName(name: string): string {
  return cleanFileName(name) ?? "file";
}

/** {@link sanitizeFileName} without the fallback: `null` when nothing usable is left. */
export function cleanFileName(name: string): string | null {
  const base = name.replace(LONE_SURROGATE, "\ufffd").split(/[/\\]/).pop() ?? "";
  const cleaned = base.replace(UNWANTED, "").trim();
  if (cleaned === "" || cleaned === "." || cleaned === "..") return null;
  return capBytes(cleaned, MAX_FILE_NAME_BYTES);
}

function capBytes(name: string, max: number): string {
  if (Buffer.byteLength(name, "utf8") <= max) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? name.slice(dot) : "";
  const extensionBytes = Buffer.byteLength(extension, "utf8");
  if (extensionBytes === 0 || extensionBytes > MAX_KEPT_EXTENSION_BYTES) return cutAtCodePoint(name, max);
  return cutAtCodePoint(name.slice(0, dot), max - extensionBytes).trimEnd() + extension;
}

/** The longest prefix of `text` that fits in `max` UTF-8 bytes, never splitting a code point. */
function cutAtCodePoint(text: string, max: number): string {
  let bytes = 0;
  let out = "";
  for (const codePoint of text) {
    bytes += Buffer.byteLength(codePoint, "utf8");
    if (bytes > max) break;
    out += codePoint;
  }
  return out;
}
