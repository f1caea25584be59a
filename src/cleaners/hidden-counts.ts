/** Counts of hidden content removed, as a cleaner's `hidden` outcome (CleanOutcome): without the zeros. */
export function hiddenOf<T extends Record<keyof T, number>>(counts: T): Record<string, number> {
  return Object.fromEntries((Object.entries(counts) as Array<[string, number]>).filter(([, n]) => n > 0));
}
