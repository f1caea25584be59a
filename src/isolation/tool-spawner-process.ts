import { runToolHere } from "../cleaners/run-tool.js";
import { serializeError } from "./serialize-error.js";
import type { SpawnerAnswer, SpawnerRequest } from "./tool-spawner.js";

/**
 * The spawner process (see tool-spawner.ts): runs each program it is asked for with runToolHere
 * and answers with its result or its error. It keeps no state but the programs running, and
 * exits when the service closes the channel (its programs die with it: parent-death signal).
 */
const running = new Map<number, AbortController>();

function answer(m: SpawnerAnswer): void {
  if (process.connected) process.send?.(m);
}

process.on("message", (m: SpawnerRequest) => {
  if (m.op === "abort") {
    running.get(m.id)?.abort();
    return;
  }
  const stop = new AbortController();
  running.set(m.id, stop);
  runToolHere(m.cmd, m.args, { ...m.opts, signal: stop.signal }).then(
    (value) => answer({ id: m.id, ok: true, value }),
    (err: unknown) => answer({ id: m.id, ok: false, error: serializeError(err) }),
  ).finally(() => running.delete(m.id));
});

process.on("disconnect", () => {
  for (const stop of running.values()) stop.abort();
  process.exit(0);
});
