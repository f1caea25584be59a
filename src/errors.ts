/**
 * The one table of errors a client can see: a code, an HTTP status and a public sentence.
 * Internal detail travels in `cause` and goes to the log only.
 */
export type ErrorCode =
  | "bad_request"
  | "fetch_failed"
  | "key_required"
  | "key_invalid"
  | "extraction_not_found"
  | "download_not_found"
  | "not_found"
  | "file_too_large"
  | "unsupported_type"
  | "unprocessable"
  | "too_complex"
  | "rate_limited"
  | "busy"
  | "insufficient_storage"
  | "internal";

const table: Record<ErrorCode, { status: number; sentence: string }> = {
  bad_request: { status: 400, sentence: "Invalid request parameters" },
  fetch_failed: { status: 400, sentence: "Could not fetch the URL" },
  key_required: { status: 401, sentence: "API key required" },
  key_invalid: { status: 401, sentence: "Invalid API key" },
  extraction_not_found: { status: 404, sentence: "No extraction found with the given UUID." },
  download_not_found: { status: 404, sentence: "File not found or expired." },
  not_found: { status: 404, sentence: "Not found" },
  file_too_large: { status: 413, sentence: "File too large" },
  unsupported_type: { status: 422, sentence: "Metadata removal is not supported for this file type" },
  unprocessable: { status: 422, sentence: "The file could not be processed" },
  too_complex: { status: 422, sentence: "The file is too complex to process within this service's limits." },
  rate_limited: { status: 429, sentence: "Too many requests" },
  busy: { status: 503, sentence: "The service is busy; retry later" },
  insufficient_storage: { status: 507, sentence: "Not enough storage space to process the file" },
  internal: { status: 500, sentence: "An error occurred while processing your request" },
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The sentence the client sees. */
  readonly publicMessage: string;

  /**
   * @param detail a user-facing reason appended to the table's sentence (never internal data)
   * @param cause internal detail for the log
   */
  constructor(code: ErrorCode, detail?: string, cause?: unknown) {
    const { status, sentence } = table[code];
    const publicMessage = formatSentence(code, sentence, detail);
    super(publicMessage, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = status;
    this.publicMessage = publicMessage;
  }
}

function formatSentence(code: ErrorCode, sentence: string, detail: string | undefined): string {
  if (detail == null || detail === "") return sentence;
  switch (code) {
    case "file_too_large":
      return `${sentence} (limit: ${detail} MB)`;
    case "unsupported_type":
      return `${sentence} (${detail})`;
    case "unprocessable":
      return detail;
    default:
      return `${sentence}: ${detail}`;
  }
}

export const badRequest = (reason: string): AppError => new AppError("bad_request", reason);

/**
 * An error's message and those of its causes, as one line for a log (pino prints an Error found
 * outside `err` as `{}`), or undefined when there is none.
 */
export function causeText(cause: unknown): string | undefined {
  const parts: string[] = [];
  for (let c = cause, depth = 0; c != null && depth < 5; depth++) {
    parts.push(c instanceof Error ? `${c.name}: ${c.message}` : String(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  return parts.length > 0 ? parts.join(" <- ") : undefined;
}
