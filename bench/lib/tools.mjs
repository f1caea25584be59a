// @ts-check
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root (bench/lib/../..). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** ImageMagick 6 from Debian, by absolute path: /usr/local/bin/convert may be a stand-in. */
export const CONVERT = "/usr/bin/convert";

/** The Perl ExifTool bundled with exiftool-vendored: the one the service's pool runs. */
export const EXIFTOOL = fileURLToPath(new URL("../../node_modules/exiftool-vendored.pl/bin/exiftool", import.meta.url));

/**
 * Runs a tool with an argument array (never a shell); rejects with its stderr on failure.
 * @param {string} cmd
 * @param {readonly string[]} args
 * @param {{ timeoutMs?: number, okCodes?: readonly number[] }} [opts]
 * @returns {Promise<{ stdout: Buffer, stderr: string }>}
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: "buffer", maxBuffer: 512 * 1024 * 1024, timeout: opts.timeoutMs ?? 600_000 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === "number" ? err.code : null;
      if (code != null && (code === 0 || (opts.okCodes ?? []).includes(code))) {
        resolve({ stdout, stderr: stderr.toString("utf8") });
        return;
      }
      reject(new Error(`${cmd} ${args.join(" ")}: ${err?.message ?? "failed"}\n${stderr.toString("utf8")}`));
    });
  });
}

/**
 * Whether a command can be found on PATH.
 * @param {string} cmd
 */
export async function have(cmd) {
  try {
    await run("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}
