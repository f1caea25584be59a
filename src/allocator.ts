import fs from "node:fs";

/**
 * Which allocator this process runs on, from its own memory map ("jemalloc" when
 * scripts/run-service.sh preloaded it, else "glibc"), and takes the preloaded library out of the
 * environment that children inherit: ExifTool, qpdf and ffmpeg keep their own allocator under
 * their memory caps.
 */
export function settleAllocator(): "jemalloc" | "glibc" {
  const preloaded = process.env["EXIFAPI_PRELOADED"];
  if (preloaded != null) {
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
