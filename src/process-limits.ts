/**
 * Every helper program that parses a client's file (ExifTool's perl, qpdf, ffmpeg, jpegtran) runs
 * under a cap on its address space. A decompression bomb then ends in the child's own
 * out-of-memory failure instead of swapping the machine or waking the kernel's OOM killer, which
 * may pick the service itself. The child is also killed when its parent dies: an ExifTool in
 * `-stay_open` mode whose parent was SIGKILLed otherwise polls its closed stdin forever, and every
 * crash would leave its pool behind.
 *
 * The short programs get both from the spawner (isolation/tool-spawner.pl), which sets them itself
 * between fork and exec. The long-lived ExifTool processes, started once, get them from util-linux:
 * setpriv(1) sets the parent-death signal, prlimit(1) the cap, and each execs the next in place, so
 * the pid the caller sees is perl's own.
 */
const PRLIMIT = "/usr/bin/prlimit";
const SETPRIV = "/usr/bin/setpriv";
export const PERL = "/usr/bin/perl";

/** Address-space cap for each ExifTool process (perl is single-threaded: ~30 MB at rest). */
export const EXIFTOOL_MEMORY_BYTES = 512 * 1024 * 1024;

/**
 * Address-space cap for qpdf, ffmpeg and jpegtran. Larger than ExifTool's: glibc reserves (but
 * does not use) 64 MB of address space per thread arena, and ffmpeg runs a few threads.
 */
const TOOL_MEMORY_BYTES = 1024 * 1024 * 1024;

/**
 * Address-space cap for qpdf, tighter: qpdf is single-threaded, and it holds a whole object (a
 * string that an object stream inflates to 100 MB takes it to 700 MB). Four files in work then
 * stay under 2 GB of qpdf together. A legitimate PDF needs far less: the JSON dump of 20,000
 * pages (12 MB) peaks at 135 MB.
 */
const QPDF_MEMORY_BYTES = 512 * 1024 * 1024;

/** The address-space cap of a helper program, by its name. */
export function toolMemoryBytes(cmd: string): number {
  return cmd === "qpdf" ? QPDF_MEMORY_BYTES : TOOL_MEMORY_BYTES;
}

/**
 * The command and arguments that run `cmd args` with its address space capped at `memoryBytes`,
 * killed if the service dies first.
 */
export function withMemoryCap(cmd: string, args: readonly string[], memoryBytes: number): { cmd: string; args: string[] } {
  return underLimit(cmd, args, `--as=${memoryBytes}`);
}

/**
 * The same for a task process (isolation/task-processes.ts), whose memory cap is V8's heap cap: V8
 * reserves far more address space than it uses, so an address-space cap would not do. Its stack is
 * set instead, to `stackBytes`, so that its V8 stack limit always fits in it.
 */
export function withStack(cmd: string, args: readonly string[], stackBytes: number): { cmd: string; args: string[] } {
  return underLimit(cmd, args, `--stack=${stackBytes}`);
}

function underLimit(cmd: string, args: readonly string[], limit: string): { cmd: string; args: string[] } {
  return { cmd: SETPRIV, args: ["--pdeathsig", "KILL", "--", PRLIMIT, limit, "--core=0", "--", cmd, ...args] };
}
