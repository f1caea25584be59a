/** The service holds all the work it can: the request waited its turn past the queue's end. */
export class BusyError extends Error {
  override readonly name = "BusyError";
}

export interface WorkBudgetOptions {
  /** Files in work at once (extraction and removal together); each removal uses one worker. */
  maxFiles: number;
  /** Their bytes together; one file larger than this still runs, alone. */
  maxBytes: number;
  /** Requests that may wait for room; the next one is told the service is busy. */
  maxQueued: number;
}

export interface WorkBudget {
  /**
   * Waits (first come, first served) until a file of `bytes` fits, and resolves to the function
   * that gives its room back. Rejects with `BusyError` when the queue is full, or with the signal's
   * reason when the request ends while waiting.
   */
  acquire(bytes: number, signal: AbortSignal): Promise<() => void>;
  /** For /metrics and logs. */
  usage(): { files: number; bytes: number; queued: number };
}

interface Waiter {
  bytes: number;
  admit(): void;
}

/**
 * The service's global budget (STYLE.md habit 18): at most N files and M bytes in work; beyond
 * them requests wait in a bounded queue, and past it they get a clear 503 rather than a slow death.
 */
export function createWorkBudget(opts: WorkBudgetOptions): WorkBudget {
  let files = 0;
  let bytes = 0;
  const queue: Waiter[] = [];

  const fits = (n: number): boolean => files < opts.maxFiles && (files === 0 || bytes + n <= opts.maxBytes);
  const take = (n: number): (() => void) => {
    files += 1;
    bytes += n;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      files -= 1;
      bytes -= n;
      drain();
    };
  };
  const drain = (): void => {
    while (queue.length > 0 && fits(queue[0]!.bytes)) queue.shift()!.admit();
  };

  return {
    acquire(n, signal) {
      signal.throwIfAborted();
      if (queue.length === 0 && fits(n)) return Promise.resolve(take(n));
      if (queue.length >= opts.maxQueued) return Promise.reject(new BusyError(`${queue.length} requests already waiting`));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          bytes: n,
          admit: () => {
            signal.removeEventListener("abort", onAbort);
            resolve(take(n));
          },
        };
        const onAbort = (): void => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(signal.reason);
          drain();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        queue.push(waiter);
      });
    },
    usage: () => ({ files, bytes, queued: queue.length }),
  };
}
