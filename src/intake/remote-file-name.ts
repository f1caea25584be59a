import { parse as parseContentDisposition } from "content-disposition";
import { cleanFileName } from "./file-name.js";

/** The name given to a fetched file when neither the response nor the URL offers one. */
export const DEFAULT_REMOTE_FILE_NAME = "download";

/**
 * The name of a fetched file, sanitised (shared/API.md, "URLs fetched by the service"): the final
 * response's Content-Disposition `filename` (its RFC 8187 `filename*` form preferred), else the
 * last path segment of the URL the client gave, else {@link DEFAULT_REMOTE_FILE_NAME}.
 */
export function remoteFileName(contentDisposition: string | null, clientUrl: URL): string {
  return fromContentDisposition(contentDisposition) ?? fromUrlPath(clientUrl) ?? DEFAULT_REMOTE_FILE_NAME;
}

function fromContentDisposition(header: string | null): string | null {
  if (header == null) return null;
  // jshttp's parser is lenient (RFC 6266 §4.3 asks recipients to be) and decodes `filename*`
  // over `filename` whatever their order; an undecodable `filename*` leaves `filename`.
  const name = parseContentDisposition(header).parameters["filename"];
  return name == null ? null : cleanFileName(name);
}

function fromUrlPath(url: URL): string | null {
  const segment = url.pathname.split("/").pop() ?? "";
  return cleanFileName(decodeSegment(segment));
}

/** `%E2%82%AC.jpg` -> `€.jpg`; a malformed escape is kept as written rather than losing the name. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    if (err instanceof URIError) return segment;
    throw err;
  }
}
