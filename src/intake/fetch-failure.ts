import { errors as undiciErrors } from "undici";
import { BlockedAddressError } from "./guarded-connect.js";

/** The body went past the size limit while streaming. */
export class TooLargeError extends Error {
  override readonly name = "TooLargeError";
}

/** The fetch as a whole ran past its total timeout. */
export class FetchTimeoutError extends Error {
  override readonly name = "FetchTimeoutError";
}

const NOT_HTTP = "the server's answer is not valid HTTP";

/** The reason given when the address policy refused a connection. */
export const NOT_PUBLIC = "the address is not public";

/**
 * Network failures a client can act on, by the `code` Node, getaddrinfo(3), OpenSSL or undici
 * give them, and the reason shown after "Could not fetch the URL: ". Nothing internal leaks.
 */
const reasons: Record<string, string> = {
  ENOTFOUND: "the host name could not be resolved",
  EAI_AGAIN: "the host name could not be resolved",
  EAI_NODATA: "the host name could not be resolved",
  EAI_NONAME: "the host name could not be resolved",
  ECONNREFUSED: "the server refused the connection",
  EHOSTUNREACH: "the server could not be reached",
  ENETUNREACH: "the server could not be reached",
  EADDRNOTAVAIL: "the server could not be reached",
  UND_ERR_CONNECT_TIMEOUT: "the server could not be reached in time",
  ETIMEDOUT: "the server could not be reached in time",
  ECONNRESET: "the server closed the connection",
  EPIPE: "the server closed the connection",
  UND_ERR_SOCKET: "the server closed the connection",
  UND_ERR_CLOSED: "the server closed the connection",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "the server sent less data than it announced",
  UND_ERR_HEADERS_OVERFLOW: "the server's answer headers are too large",
};

/**
 * The user-facing reason for a failed fetch, or `null` when the failure is not the remote side's
 * (a full disk, a bug): that one goes up unchanged and becomes a logged 500.
 */
export function fetchFailureReason(err: unknown, limitBytes: number): string | null {
  for (const e of causeChain(err)) {
    if (e instanceof BlockedAddressError) return NOT_PUBLIC;
    if (e instanceof FetchTimeoutError) return "the server took too long to answer";
    if (e instanceof TooLargeError) return tooLargeReason(limitBytes);
    // llhttp's verdict on an answer it cannot parse (a bad length, status line or header) does
    // not always carry an HPE_ code.
    if (e instanceof undiciErrors.HTTPParserError) return NOT_HTTP;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    const known = reasons[code];
    if (known != null) return known;
    // llhttp's parse errors: whatever answered does not speak HTTP/1.1.
    if (code.startsWith("HPE_")) return NOT_HTTP;
    if (isTlsCode(code)) return "the server's secure connection could not be verified";
  }
  return null;
}

export function tooLargeReason(limitBytes: number): string {
  return `the file is larger than the limit (${Number((limitBytes / 1024 / 1024).toPrecision(6))} MB)`;
}

function isTlsCode(code: string): boolean {
  return (
    code.startsWith("ERR_TLS_") ||
    code.startsWith("ERR_SSL_") ||
    code.includes("CERT") ||
    code.startsWith("UNABLE_TO_") ||
    code === "EPROTO"
  );
}

/** `err`, its `cause`, and so on (undici and Node wrap socket errors). */
function* causeChain(err: unknown): Generator<object> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === "object" && current != null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}
