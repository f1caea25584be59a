import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./tools.js";

/** A program shadowed on a service's PATH by a script that logs each run's arguments, one line a run. */
export interface QpdfLog {
  /** The PATH to start the service with. */
  path: string;
  /** The runs logged since the last `clear`. */
  runs(): Promise<string[]>;
  clear(): Promise<void>;
}

/** Writes the logging qpdf into `dir`/shims, its log at `dir`/qpdf.log. */
export async function loggedQpdf(dir: string): Promise<QpdfLog> {
  return loggedTool(dir, "qpdf");
}

/**
 * Writes a logging `tool` into `dir`/shims, its log at `dir`/`tool`.log. Shims written into the
 * same `dir` share the folder, so either's `path` shadows them all.
 */
export async function loggedTool(dir: string, tool: string): Promise<QpdfLog> {
  const shims = path.join(dir, "shims");
  const log = path.join(dir, `${tool}.log`);
  await fs.mkdir(shims, { recursive: true });
  await fs.writeFile(log, "");
  const real = (await run("sh", ["-c", `command -v ${tool}`])).stdout.toString().trim();
  await fs.writeFile(path.join(shims, tool), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  return {
    path: `${shims}:${process.env["PATH"] ?? ""}`,
    runs: async () => (await fs.readFile(log, "utf8")).split("\n").filter((l) => l !== ""),
    clear: () => fs.writeFile(log, ""),
  };
}
