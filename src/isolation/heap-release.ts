import v8 from "node:v8";
import { runInNewContext } from "node:vm";

const MB = 1024 * 1024;
/**
 * What a task process may keep at the end of a task before it collects in full: committed
 * JavaScript heap, or heap and buffers (and wasm memories) together. Over hundreds of ordinary
 * small removals and extractions a worker ended its tasks at 51 MB of heap and 96 MB with its
 * buffers at most, so ordinary files never pay for a collection here; a PDF of 150,000 objects
 * leaves 80-170 MB, one of 300,000 objects up to 300 MB (its parsed object dump).
 */
const HEAP_PAST_BYTES = 64 * MB;
const KEPT_PAST_BYTES = 128 * MB;
/** Growth since the process's last collection here that is worth another (what it holds alive is not garbage). */
const REGROWTH_BYTES = 32 * MB;

let collect: (() => void) | undefined;
let keptAfterCollection = 0;

/**
 * Collects the process's heap in full when the task that just ended left it large. What a task
 * parsed is garbage once it ended, but V8 collects only as the heap grows again (by a factor of
 * 4, see worker-pool.ts), and an idle task process allocates nothing: worker threads kept their
 * ~250 MB until the idle timeout ended them a minute later, and four PDFs of 300,000 objects left
 * the service at 450-700 MB for that minute. 10-100 ms, after the task's answer is sent.
 */
export function releaseHeapIfGrown(): void {
  const { heap, kept } = held();
  if ((heap <= HEAP_PAST_BYTES && kept <= KEPT_PAST_BYTES) || kept <= keptAfterCollection + REGROWTH_BYTES) return;
  (collect ??= exposedGc())();
  keptAfterCollection = held().kept;
}

/** The process's committed heap, and that with the buffers (and wasm memories) it holds outside it. */
function held(): { heap: number; kept: number } {
  const { total_heap_size: heap, external_memory: external } = v8.getHeapStatistics();
  return { heap, kept: heap + external };
}

/** V8's own full collection, taken once from a context made while the flag that exposes it was on. */
function exposedGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  try {
    return runInNewContext("gc") as () => void;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}
