/**
 * Settles with `work`, or rejects with the signal's reason as soon as it fires. The ExifTool tasks
 * inside such a step stop with the same signal (metadata/task-runner.ts), but the step may make
 * something else of their failure (a read-before-cleaning turns it into "too complex"): the request
 * answers with the signal's own reason (deadline or client gone), and any late result is dropped.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
