#!/bin/sh
# Starts `exifapi serve` on jemalloc when the machine has it (Debian: libjemalloc2). Under a steady
# load glibc's allocator let the service's main heap grow by ~40 MB in ten minutes (freed upload
# buffers leave holes it does not give back); jemalloc returns them (bench notes, "Steady load:
# the allocator"). The service removes the library from its children's environment (ExifTool,
# qpdf, ffmpeg run on their own allocator, under their memory caps). Arguments are options for node.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
lib=""
for candidate in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2; do
  if [ -e "$candidate" ]; then lib=$candidate; break; fi
done
if [ -n "$lib" ] && [ "${EXIFAPI_ALLOCATOR:-jemalloc}" != system ]; then
  LD_PRELOAD="$lib${LD_PRELOAD:+ $LD_PRELOAD}"
  EXIFAPI_PRELOADED="$lib"
  export LD_PRELOAD EXIFAPI_PRELOADED
fi
exec "${NODE:-node}" "$@" "$root/bin/exifapi" serve
