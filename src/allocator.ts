import fs from "node:fs";

let preloadedLibrary: string | undefined;

/**
 * Which allocator this process runs on, from its own memory map ("jemalloc" when
 * scripts/run-service.sh preloaded it, else "glibc"), and takes the preloaded library out of the
 * environment that children inherit: ExifTool, qpdf and ffmpeg keep their own allocator under
 * their memory caps.
 */
export function settleAllocator(): "jemalloc" | "glibc" {
  const preloaded = process.env["EXIFAPI_PRELOADED"];
  if (preloaded != null) {
    preloadedLibrary = preloaded;
    const rest = (process.env["LD_PRELOAD"] ?? "").split(/[\s:]+/).filter((p) => p !== "" && p !== preloaded);
    if (rest.length > 0) process.env["LD_PRELOAD"] = rest.join(" ");
    else delete process.env["LD_PRELOAD"];
    delete process.env["EXIFAPI_PRELOADED"];
  }
  let maps = "";
  try {
    maps = fs.readFileSync("/proc/self/maps", "utf8");
  } catch {
    // Not Linux: glibc's tuning does not apply either.
  }
  return maps.includes("libjemalloc") ? "jemalloc" : "glibc";
}

/**
 * The environment of a node child of the service (a task process, isolation/task-processes.ts),
 * on the allocator the service runs on. Task processes hold uploads' chunks as the service does,
 * and glibc kept their freed buffers as it did the service's.
 */
export function nodeChildEnv(): NodeJS.ProcessEnv {
  // The service's node options (a heap size, an agent to --require) are not its children's: they
  // get theirs on their command line.
  const { NODE_OPTIONS: _options, ...env } = process.env;
  if (preloadedLibrary == null) return env;
  const rest = env["LD_PRELOAD"];
  return { ...env, LD_PRELOAD: rest != null ? `${preloadedLibrary} ${rest}` : preloadedLibrary };
}
