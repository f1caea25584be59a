import { BadFileError, TooComplexError, UnsupportedTypeError } from "../cleaners/errors.js";
import { ToolFailure, ToolsUnavailable } from "../cleaners/run-tool.js";
import { causeText } from "../errors.js";
import { BusyError } from "../work-budget.js";
import type { SerializedError } from "./messages.js";

export function serializeError(err: unknown): SerializedError {
  const cause = err instanceof Error ? causeText(err.cause) : undefined;
  const code = (err as { code?: unknown } | null)?.code;
  const base = { message: err instanceof Error ? err.message : String(err), ...(cause != null ? { cause } : {}), ...(typeof code === "string" ? { code } : {}) };
  if (err instanceof BadFileError) return { kind: "bad_file", detail: err.reason, ...base };
  if (err instanceof TooComplexError || isOutOfStack(err)) return { kind: "too_complex", ...base };
  if (err instanceof UnsupportedTypeError) return { kind: "unsupported_type", detail: err.fileType, ...base };
  if (err instanceof ToolFailure) return { kind: "tool_failure", ...base };
  if (err instanceof ToolsUnavailable) return { kind: "tools_unavailable", ...base };
  // A file inside waited for room in the budget (the service's answer to the task's weigh)
  // past the queue's patience: the service is busy, as for the file itself.
  if (err instanceof BusyError) return { kind: "busy", ...base };
  return { kind: "internal", ...base, ...(err instanceof Error && err.stack != null ? { cause: err.stack } : {}) };
}

export function deserializeError(e: SerializedError): Error {
  // Kept as the text it is: it already reads "Name: message <- ..." in logs.
  const cause = e.cause;
  switch (e.kind) {
    case "bad_file":
      return new BadFileError(e.detail ?? e.message, cause);
    case "too_complex":
      return new TooComplexError(e.message, cause);
    case "unsupported_type":
      return new UnsupportedTypeError(e.detail ?? "unknown");
    case "tool_failure":
      return new ToolFailure(e.message, { cause });
    case "tools_unavailable":
      return new ToolsUnavailable(e.message, { cause });
    case "busy":
      return new BusyError(e.message);
    case "internal":
      return Object.assign(new Error(e.message, { cause }), e.code != null ? { code: e.code } : {});
  }
}

/** A parser recursing as deep as the file nests: a hostile nesting, not our failure. */
function isOutOfStack(err: unknown): boolean {
  return err instanceof RangeError && /call stack size/i.test(err.message);
}
