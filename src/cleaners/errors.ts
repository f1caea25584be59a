/**
 * The cleaners' own verdicts on a file. They carry no HTTP status: the HTTP edge
 * (src/http/error-handler.ts) maps each to the contract's answer, and the command-line tool to a
 * line of its report.
 */

/** The file claims a type but cannot be parsed or cleaned as one; `reason` is shown to the user. */
export class BadFileError extends Error {
  constructor(
    readonly reason: string,
    cause?: unknown,
  ) {
    super(reason, cause === undefined ? undefined : { cause });
    this.name = "BadFileError";
  }
}

/** Processing the file would exceed the memory, time, nesting or inner-file budgets. */
export class TooComplexError extends Error {
  constructor(detail: string, cause?: unknown) {
    super(detail, cause === undefined ? undefined : { cause });
    this.name = "TooComplexError";
  }
}

/** No cleaner handles this type (`fileType` names it for the user, e.g. "RF64 WAV"). */
export class UnsupportedTypeError extends Error {
  constructor(readonly fileType: string) {
    super(`no cleaner for ${fileType}`);
    this.name = "UnsupportedTypeError";
  }
}
