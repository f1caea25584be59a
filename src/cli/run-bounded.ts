/**
 * Runs `work` on each item as it comes out of `items`, at most `limit` at a time; the next item is
 * only pulled when a slot is free, so a lazy source is never read ahead. `work` must not reject.
 */
export async function runBounded<T>(items: AsyncIterable<T>, limit: number, work: (item: T) => Promise<void>, stopped: () => boolean): Promise<void> {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    if (stopped()) break;
    const p: Promise<void> = work(item).finally(() => running.delete(p));
    running.add(p);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
}
