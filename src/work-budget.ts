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
  /**
   * How long a request waits for room, all its waits together (its first room and any larger one
   * a file inside asks for later), before it is told the service is busy: one that waited longer
   * would not have the time left to be served within its deadline.
   */
  maxWaitMs: number;
}

/** One file's room in the budget. */
export interface Room {
  /** Gives the room back (once; later calls do nothing). */
  release(): void;
  /**
   * Makes the room `bytes` large, once the file is known to weigh more than its size (a PDF of
   * many objects, counted by the screen). At once where that fits; otherwise the room is given
   * back and the request waits, ahead of the queue, for the larger one: holding nothing while it
   * waits, two requests growing at once cannot wait for each other. It waits only what is left of
   * the request's patience (`maxWaitMs` from its `acquire`), rejecting with `BusyError` past it,
   * or with the signal's reason when the request ends while waiting.
   */
  grow(bytes: number, signal: AbortSignal): Promise<void>;
}

export interface WorkBudget {
  /**
   * Waits (first come, first served) until a file of `bytes` fits, and resolves to its room.
   * Rejects with `BusyError` when the queue is full, or with the signal's reason when the request
   * ends while waiting.
   */
  acquire(bytes: number, signal: AbortSignal): Promise<Room>;
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
  /** Takes `n` bytes and a file's place; the function returned gives them back, once. */
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
  /**
   * Waits in the queue (at its end, or ahead of it) until `n` fits, and takes it; rejects with
   * `BusyError` once `patienceEnds` (a `performance.now()` time) has passed, with the signal's
   * reason when the request ends first.
   */
  const wait = (n: number, signal: AbortSignal, ahead: boolean, patienceEnds: number): Promise<() => void> =>
    new Promise((resolve, reject) => {
      const stopWaiting = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        bytes: n,
        admit: () => {
          stopWaiting();
          resolve(take(n));
        },
      };
      const leave = (reason: unknown): void => {
        stopWaiting();
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        reject(reason);
        drain();
      };
      const onAbort = (): void => leave(signal.reason);
      const timer = setTimeout(() => leave(new BusyError(`no room for ${n} bytes within ${opts.maxWaitMs} ms`)), Math.max(0, patienceEnds - performance.now()));
      signal.addEventListener("abort", onAbort, { once: true });
      if (ahead) queue.unshift(waiter);
      else queue.push(waiter);
      drain();
    });

  /**
   * The request's room, taken by `give`. A larger one waits only until `patienceEnds`, the
   * request's own: a file inside that asks for room late in the request (a ZIP's PDF, once the
   * ZIP is unpacked) and then waited `maxWaitMs` afresh would get it with too little of the
   * deadline left to be cleaned, and end in the deadline's 422 instead of a busy service's 503.
   */
  const room = (n: number, give: () => void, patienceEnds: number): Room => {
    let size = n;
    let giveBack = give;
    return {
      release: () => giveBack(),
      async grow(larger, signal) {
        if (larger <= size) return;
        signal.throwIfAborted();
        // Where the larger room fits beside the others in work, it is taken before this one goes.
        if (files === 1 || bytes - size + larger <= opts.maxBytes) {
          const next = take(larger);
          giveBack();
          [size, giveBack] = [larger, next];
          return;
        }
        // Otherwise it waits first in line, so that the room given back goes to no one behind it.
        const waiting = wait(larger, signal, true, patienceEnds);
        giveBack();
        giveBack = () => undefined;
        size = larger;
        giveBack = await waiting;
      },
    };
  };

  return {
    async acquire(n, signal) {
      signal.throwIfAborted();
      const patienceEnds = performance.now() + opts.maxWaitMs;
      if (queue.length === 0 && fits(n)) return room(n, take(n), patienceEnds);
      if (queue.length >= opts.maxQueued) throw new BusyError(`${queue.length} requests already waiting`);
      return room(n, await wait(n, signal, false, patienceEnds), patienceEnds);
    },
    usage: () => ({ files, bytes, queued: queue.length }),
  };
}
