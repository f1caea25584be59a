import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { BadFileError, TooComplexError, UnsupportedTypeError } from "../cleaners/errors.js";
import { ToolsUnavailable } from "../cleaners/run-tool.js";
import { AppError, badRequest, causeText } from "../errors.js";
import { BusyError } from "../work-budget.js";
import { UploadStalled, UploadTooLarge } from "../intake/upload.js";
import { endUnreadBody } from "./request-body-bound.js";
import { ClientGone, DeadlineExceeded } from "./request-deadline.js";

/** Seconds a client told "busy" should wait: about what one file in work takes. */
const BUSY_RETRY_AFTER_SECONDS = 5;

/** The one place where anything thrown becomes the contract's `{success: false, error}`. */
export function toAppError(err: unknown, maxMb: number): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof BadFileError) return new AppError("unprocessable", err.reason, err.cause);
  if (err instanceof TooComplexError) return new AppError("too_complex", undefined, err);
  if (err instanceof UnsupportedTypeError) return new AppError("unsupported_type", err.fileType);
  if (err instanceof DeadlineExceeded) return new AppError("too_complex", undefined, err);
  if (err instanceof BusyError) return new AppError("busy", undefined, err);
  // The helper programs' spawner died under the request twice: nothing about the file, and the
  // next request gets a new one.
  if (err instanceof ToolsUnavailable) return new AppError("busy", undefined, err);
  if (err instanceof UploadTooLarge) return new AppError("file_too_large", String(maxMb));
  if (err instanceof UploadStalled) return badRequest(err.message);
  if (err instanceof ClientGone) return badRequest("the client closed the connection");
  const e = (err ?? {}) as Partial<FastifyError> & { code?: string };
  if (e.validation != null) {
    const first = e.validation[0];
    const where = first?.instancePath != null && first.instancePath !== "" ? first.instancePath.replace(/^\//, "") : (e.validationContext ?? "request");
    return badRequest(`${where} ${first?.message ?? "is invalid"}`);
  }
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return badRequest("send multipart/form-data with a file, or JSON with a url");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return badRequest("the JSON body is malformed");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return badRequest("the request body is too large (upload files as multipart/form-data)");
    case "FST_REQ_FILE_TOO_LARGE":
      return new AppError("file_too_large", String(maxMb));
    case "FST_FILES_LIMIT":
      return badRequest("only one file can be sent per request");
    case "FST_FIELDS_LIMIT":
    case "FST_PARTS_LIMIT":
      return badRequest("too many form fields");
    case "FST_INVALID_MULTIPART_CONTENT_TYPE":
    case "FST_PROTO_VIOLATION":
      return badRequest("the multipart form is malformed");
    // Node's error for a request body whose client closed the connection mid-way.
    case "ECONNRESET":
      if (e.message === "aborted") return badRequest("the client closed the connection");
      break;
    case "ENOSPC":
      return new AppError("insufficient_storage", undefined, err);
    default:
      break;
  }
  // busboy's error for a client that hung up or sent a cut form has no code.
  if (err instanceof Error && /unexpected end of (form|multipart)/i.test(err.message)) {
    return badRequest("the upload ended before the form was complete");
  }
  if (e.statusCode === 400) return badRequest("the request is malformed");
  if (e.statusCode === 413) return new AppError("file_too_large", String(maxMb));
  if (e.statusCode === 415) return badRequest("unsupported Content-Type");
  return new AppError("internal", undefined, err);
}

export function makeErrorHandler(maxMb: number, maxBodyBytes: number) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const app = toAppError(err, maxMb);
    if (app.status >= 500) request.log.error({ err }, "request failed");
    else request.log.info({ code: app.code, cause: causeText(app.cause) }, app.publicMessage);
    // The answer came before the upload ended (a full disk, a refused form, a file past the limit).
    if (!request.raw.complete) endUnreadBody(request, reply, maxBodyBytes, app.code === "file_too_large" || err instanceof UploadStalled);
    if (app.code === "busy") reply.header("Retry-After", String(BUSY_RETRY_AFTER_SECONDS));
    return reply.status(app.status).send({ success: false, error: app.publicMessage });
  };
}
