import type { FileReport } from "./clean-one.js";
import { formatBytes, formatDuration } from "./progress.js";

/** Failures listed one by one at the end; past this they are only counted. */
const LISTED_FAILURES = 20;

/**
 * The run's tally, in constant memory whatever the number of files: counts by outcome, skip
 * reason and type, and the first failures.
 */
export class Summary {
  cleaned = 0;
  cleanedBytes = 0;
  skipped = 0;
  failed = 0;
  private readonly skipCounts = new Map<string, number>();
  private readonly failures: string[] = [];
  private readonly started = Date.now();

  add(report: FileReport, bytes: number): void {
    switch (report.outcome) {
      case "cleaned":
        this.cleaned += 1;
        this.cleanedBytes += bytes;
        return;
      case "skipped": {
        this.skipped += 1;
        const key = report.fileType != null ? `${report.reason}: ${report.fileType}` : report.reason;
        this.skipCounts.set(key, (this.skipCounts.get(key) ?? 0) + 1);
        return;
      }
      case "failed":
        this.failed += 1;
        if (this.failures.length < LISTED_FAILURES) this.failures.push(`  ${report.path}: ${report.detail}`);
    }
  }

  text(): string {
    const seconds = (Date.now() - this.started) / 1000;
    const lines = [`Cleaned ${this.cleaned} ${plural(this.cleaned, "file")} (${formatBytes(this.cleanedBytes)}) in ${formatDuration(seconds)}.`];
    if (this.skipped > 0) {
      const parts = [...this.skipCounts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`);
      lines.push(`Skipped ${this.skipped}: ${parts.join(", ")}.`);
    }
    if (this.failed > 0) {
      lines.push(`Failed ${this.failed}:`, ...this.failures);
      if (this.failed > this.failures.length) lines.push(`  ... and ${this.failed - this.failures.length} more`);
    }
    return lines.join("\n");
  }
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
