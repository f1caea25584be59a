import { ExifToolTask } from "exiftool-vendored";

type StartOptions = Parameters<ExifToolTask<unknown>["onStart"]>[0];

/**
 * Bytes of the output before a chunk searched again with it: an end-of-task token begun in one
 * chunk ends in the next. ExifTool's (exiftool-vendored's `pass` and `fail`) is `{ready}`.
 */
const TOKEN_OVERLAP = 64;

/**
 * An ExifTool task that takes its output in linear time. batch-cluster's Task appends each chunk
 * of ExifTool's stdout (64 kB at most) to a string and searches the whole string for the
 * end-of-task token after every chunk: quadratic in the output. A 24 kB PNG whose zTXt inflates
 * to 25 MB prints 25 MB of JSON in 0.7 s, and those searches then held the service's main thread
 * for ~18 s. Here the chunks are kept and only the newest one (with the end of the output before
 * it) is searched; once the token is there, the task gets the output in one piece and its own
 * search of the whole decides, as before. One piece also decodes a UTF-8 character that two
 * chunks split as itself, not as two U+FFFD.
 */
export abstract class WholeOutputTask<T> extends ExifToolTask<T> {
  #tokens: RegExp[] = [];
  #held: Buffer[] = [];
  #tail = "";

  override onStart(opts: StartOptions): void {
    this.#tokens = [opts.passRE, opts.failRE].filter((re) => re != null);
    super.onStart(opts);
  }

  override onStdout(buf: string | Buffer): void {
    const chunk = typeof buf === "string" ? Buffer.from(buf) : buf;
    this.#held.push(chunk);
    // latin1: one character per byte, and the tokens are ASCII.
    const searched = this.#tail + chunk.toString("latin1");
    this.#tail = searched.slice(-TOKEN_OVERLAP);
    if (!this.#tokens.some((re) => re.test(searched))) return;
    const output = Buffer.concat(this.#held);
    this.#held = [];
    super.onStdout(output);
  }
}
