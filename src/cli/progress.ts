import cliProgress from "cli-progress";

/** What the run reports as it goes; a terminal shows it as a bar, anything else sees nothing. */
export interface Progress {
  /** The walk found one more file of `bytes` (the total grows until the walk is done). */
  found(bytes: number): void;
  foundAll(): void;
  done(bytes: number): void;
  /** Prints a line above the bar (or as is without one). */
  log(line: string): void;
  stop(): void;
}

/**
 * A cli-progress bar on stderr when it is a terminal: files done of total, bytes, files per second
 * and time left (left blank until the walk has counted every file). Off a terminal, no escape
 * codes at all.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let total = 0;
  let totalBytes = 0;
  let doneFiles = 0;
  let doneBytes = 0;
  let counted = false;
  const started = Date.now();
  if (stream.isTTY !== true) {
    return {
      found() {},
      foundAll() {},
      done() {},
      log: (line) => stream.write(`${line}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "{bar} {value}/{total} files | {bytes} of {totalBytes} | {rate} files/s | {left}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? doneFiles / seconds : 0;
    const byteRate = seconds > 0 ? doneBytes / seconds : 0;
    const left = counted && byteRate > 0 ? `${formatDuration((totalBytes - doneBytes) / byteRate)} left` : counted ? "" : "counting...";
    return { bytes: formatBytes(doneBytes), totalBytes: formatBytes(totalBytes), rate: rate.toFixed(1), left };
  };
  bar.start(0, 0, payload());
  return {
    found(bytes) {
      total += 1;
      totalBytes += bytes;
      bar.setTotal(total);
      bar.update(payload());
    },
    foundAll() {
      counted = true;
      bar.update(payload());
    },
    done(bytes) {
      doneFiles += 1;
      doneBytes += bytes;
      bar.update(doneFiles, payload());
    },
    log(line) {
      // Clear the bar's line, print, and let the next redraw put the bar back under it.
      stream.write(`\r\x1b[K${line}\n`);
      bar.render();
    },
    stop: () => bar.stop(),
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
