/**
 * Ctrl-C (SIGINT) or SIGTERM: `cleanup` runs synchronously, before anything else can, then the
 * run exits with the shell's code for the signal (130 or 143). The ExifTool processes and helper
 * programs die with the process.
 */
export function exitOnInterrupt(cleanup: (signal: NodeJS.Signals) => void): void {
  const interrupt = (signal: NodeJS.Signals) => {
    cleanup(signal);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
}
