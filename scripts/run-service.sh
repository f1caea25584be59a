#!/bin/sh
# Starts `exifapi serve` on jemalloc when the machine has it (Debian: libjemalloc2). Under a steady
# load glibc's allocator let the service's main heap grow by ~40 MB in ten minutes (freed upload
# buffers leave holes it does not give back); jemalloc returns them (bench notes, "Steady load:
# the allocator"). Two arenas and a background thread returning freed pages within a second:
# jemalloc's defaults (four arenas per core, pages kept ten seconds) raised the peak of a 320 MB
# removal from ~250 to ~295 MB (test/big-file-memory.test.ts). The service takes the library out
# of its children's environment (ExifTool, qpdf, ffmpeg keep their own allocator under their
# memory caps). Arguments are options for node.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
lib=""
for candidate in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2; do
  if [ -e "$candidate" ]; then lib=$candidate; break; fi
done
if [ -n "$lib" ] && [ "${EXIFAPI_ALLOCATOR:-jemalloc}" != system ]; then
  LD_PRELOAD="$lib${LD_PRELOAD:+ $LD_PRELOAD}"
  EXIFAPI_PRELOADED="$lib"
  MALLOC_CONF="${MALLOC_CONF:-narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0}"
  export LD_PRELOAD EXIFAPI_PRELOADED MALLOC_CONF
fi
exec "${NODE:-node}" "$@" "$root/bin/exifapi" serve
