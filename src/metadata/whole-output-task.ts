import { ExifToolTask } from "exiftool-vendored";

type StartOptions = Parameters<ExifToolTask<unknown>["onStart"]>[0];

/**
 * Bytes of the output before a chunk searched again with it: an end-of-task token begun in one
 * chunk ends in the next. ExifTool's (exiftool-vendored's `pass` and `fail`) is `{ready}`.
 */
const TOKEN_OVERLAP = 64;

/**
 * An ExifTool task that takes its output in linear time, and only at its end. batch-cluster's Task
 * appends each chunk of ExifTool's stdout (64 kB at most) to a string and searches the whole
 * string for the end-of-task token after every chunk: quadratic in the output. A 24 kB PNG whose
 * zTXt inflates to 25 MB prints 25 MB of JSON in 0.7 s, and those searches then held the service's
 * main thread for ~18 s. Here the chunks are kept and only the newest one (with the end of the
 * output before it) is searched; once the token is there, the task gets the output in one piece.
 * One piece also decodes a UTF-8 character that two chunks split as itself, not as two U+FFFD.
 *
 * The end is the token on a line of its own, last (`-execute` prints it after the answer): its
 * text anywhere else is a file's (a comment "{ready}"), which batch-cluster's search, the first
 * match anywhere, took for the end, cutting the answer there (the value came back empty, or a
 * longer answer failed to parse: nothing extracted, the removal refused). Such text is handed on
 * with its first character escaped as JSON does (`\u007b`), which ExifTool's `-json` answers
 * parse back to the same value, so batch-cluster finds only the real end.
 */
export abstract class WholeOutputTask<T> extends ExifToolTask<T> {
  #ends: RegExp[] = [];
  #tokens: RegExp[] = [];
  #held: Buffer[] = [];
  #tail = "";

  override onStart(opts: StartOptions): void {
    this.#tokens = [opts.passRE, opts.failRE].filter((re) => re != null).map((re) => new RegExp(re.source, "g"));
    this.#ends = this.#tokens.map((re) => new RegExp(`\\n(?:${re.source})\\r?\\n?$`));
    super.onStart(opts);
  }

  override onStdout(buf: string | Buffer): void {
    const chunk = typeof buf === "string" ? Buffer.from(buf) : buf;
    this.#held.push(chunk);
    // latin1: one character per byte, and the tokens are ASCII. A first chunk starts a line.
    const searched = (this.#held.length === 1 ? "\n" : this.#tail) + chunk.toString("latin1");
    this.#tail = searched.slice(-TOKEN_OVERLAP);
    if (!this.#ends.some((re) => re.test(searched))) return;
    const output = Buffer.concat(this.#held).toString();
    this.#held = [];
    super.onStdout(this.#tokens.reduce(escapeAllButLast, output));
  }
}

/** `text` with every match of `token` but the last one's first character written as a JSON escape. */
function escapeAllButLast(text: string, token: RegExp): string {
  const matches = [...text.matchAll(token)];
  if (matches.length < 2) return text;
  const parts: string[] = [];
  let from = 0;
  for (const m of matches.slice(0, -1)) {
    parts.push(text.slice(from, m.index), `\\u${text.charCodeAt(m.index).toString(16).padStart(4, "0")}`);
    from = m.index + 1;
  }
  parts.push(text.slice(from));
  return parts.join("");
}
