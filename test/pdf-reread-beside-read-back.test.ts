import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedPdf } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * A PDF removal's verification re-reads the copy with ExifTool as soon as qpdf has written it,
 * beside the cleaner's own read-back of the copy (qpdf's dump of it, the page comparison), instead
 * of after it: the request no longer waits for one and then the other. Seen from a qpdf stand-in
 * that, when asked for that read-back, first waits for the copy to be read by someone else (its
 * access time passing the time it was written) and notes whether it was. Not with keep=copyright,
 * where the rights are written back into the copy after the cleaner is done: the re-read must see
 * that file, so it waits.
 */

const MARKER = "RereadBesideMarker";

let dir: string;
let log: string;
let waitFile: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-reread-beside-"));
  const shims = path.join(dir, "shims");
  await fs.mkdir(shims);
  log = path.join(dir, "read-back.log");
  waitFile = path.join(dir, "wait-tenths");
  const real = (await run("sh", ["-c", "command -v qpdf"])).stdout.toString().trim();
  // The read-back is the dump written to ".../written.json"; the file it reads is the argument before.
  const shim = `#!/bin/sh
for a in "$@"; do copy=$last; last=$a; done
case "$last" in
  */written.json)
    tenths=$(cat '${waitFile}'); seen=unread; i=0
    while [ $i -lt "$tenths" ]; do
      if stat -c '%.9X %.9Y' "$copy" | awk '{ exit !($1 > $2) }'; then seen=read; break; fi
      sleep 0.1; i=$((i + 1))
    done
    echo "$seen" >> '${log}' ;;
esac
exec '${real}' "$@"
`;
  await fs.writeFile(path.join(shims, "qpdf"), shim, { mode: 0o755 });
  server = await startServer({ PATH: `${shims}:${process.env["PATH"] ?? ""}` });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function removeWatched(file: string, waitTenths: number, fields: Record<string, string> = {}): Promise<{ seen: string[]; status: number; body: Record<string, unknown>; cleaned: Buffer | null }> {
  await fs.writeFile(waitFile, String(waitTenths));
  await fs.writeFile(log, "");
  const outcome = await removeViaApi(server, file, "report.pdf", fields);
  return { ...outcome, seen: (await fs.readFile(log, "utf8")).split("\n").filter((l) => l !== "") };
}

describe("a PDF removal's re-read of the copy", () => {
  it("reads the copy while the cleaner's read-back of it runs, and the answer is the same clean one", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    // Up to 60 s for the pool to read it on a busy machine; it is over as soon as it has.
    const { seen, status, body, cleaned } = await removeWatched(file, 600);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(seen).toEqual(["read"]);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["pdf"]).toBeGreaterThan(0);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
  }, 120_000);

  it("waits for the cleaning to end with keep=copyright, whose rights are written back into the copy after it", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    // Nothing reads the copy during the read-back: the stand-in gives up after 3 s.
    const { seen, status, body } = await removeWatched(file, 30, { keep: "copyright" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(seen).toEqual(["unread"]);
  }, 120_000);
});
