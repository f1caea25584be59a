import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * ImageMagick 6 from Debian. Always this absolute path: some machines carry a stand-in named
 * `convert` in /usr/local/bin that comes first on PATH.
 */
export const CONVERT = "/usr/bin/convert";

/** ffmpeg's arguments for a quiet run that overwrites its output. */
export const ffmpegQuiet = ["-nostdin", "-loglevel", "error", "-y"];

/**
 * The Perl ExifTool bundled with exiftool-vendored (newer than Debian's). Tests use it to WRITE
 * known tags into generated files; the service itself only talks to its pool.
 */
export const EXIFTOOL = fileURLToPath(new URL("../../node_modules/exiftool-vendored.pl/bin/exiftool", import.meta.url));

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Exit codes that count as success besides 0 (qpdf exits 3 for "succeeded with warnings"). */
  okCodes?: readonly number[];
  timeoutMs?: number;
}

/** Runs a tool with an argument array (never a shell) and resolves with its output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        const code = err == null ? 0 : typeof err.code === "number" ? err.code : null;
        if (code != null && (code === 0 || (opts.okCodes ?? []).includes(code))) {
          resolve({ stdout, stderr: stderr.toString("utf8") });
          return;
        }
        const why = err?.message ?? "failed";
        reject(new Error(`${cmd} ${args.join(" ")}: ${why}\n${stderr.toString("utf8")}`));
      },
    );
  });
}

/** Runs ExifTool (the bundled script) and returns its stdout as text. */
export async function exiftool(args: readonly string[]): Promise<string> {
  const { stdout } = await run(EXIFTOOL, args);
  return stdout.toString("utf8");
}

/**
 * ImageMagick's signature (a hash of the decoded pixels) of the first frame as it is displayed,
 * i.e. after applying the Orientation tag: equal before and after cleaning means the picture a
 * person sees did not change.
 */
export async function pixelSignature(file: string): Promise<string> {
  const { stdout } = await run(CONVERT, [`${file}[0]`, "-auto-orient", "-format", "%#", "info:"]);
  return stdout.toString("utf8").trim();
}
