import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTACHED_PHOTO, makePdfWithAttachments } from "./helpers/make-pdf.js";
import { pdfOfTinyObjectsInStreams } from "./helpers/make-pdf-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, EXIFTOOL, run } from "./helpers/tools.js";

/**
 * A PDF's removal dumps its objects with qpdf one dump at a time: the cleaner's, then the copy's
 * read back (the findings' look at its attached files once made a dump of its own, since in a PDF
 * written with object streams it cannot tell from the bytes that there are none; now the cleaner
 * lists them). Two at once held twice a heavy PDF's dump in memory (qpdf's and the parse of it in
 * a worker thread) against the one weight the budget gives it.
 * One PDF of 150,000 objects: before, the look's dump started while the cleaner's still ran. One of
 * 300,000 objects (fresh services, same minutes): the service's tree peaked at 738-745 MB, in turn
 * at 692-696 MB, in the same 14-18 s.
 */

const MARKER = "Dumpsinturnmarker";
const ARTIST = "DumpsInTurnArtist";

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-dumps-in-turn-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** The qpdf runs dumping objects as JSON for the service's requests (their files are under its DATA_DIR), now. */
async function dumpsRunning(): Promise<number> {
  let count = 0;
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await fs.readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (path.basename(args[0] ?? "") === "qpdf" && args.some((a) => a.startsWith("--json-output")) && args.some((a) => a.startsWith(server.dataDir))) count++;
  }
  return count;
}

/** Runs `work` while counting the dumps running at once; resolves to its result and the most seen together. */
async function mostDumpsAtOnce<T>(work: () => Promise<T>): Promise<{ result: T; most: number }> {
  let most = 0;
  let done = false;
  const watching = (async () => {
    while (!done) {
      most = Math.max(most, await dumpsRunning());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await work().finally(() => {
    done = true;
  });
  await watching;
  return { result, most };
}

describe("a PDF's removal dumps its objects one dump at a time", () => {
  it("a PDF of 150,000 objects in object streams: the cleaner's dump and the findings' never run together", async () => {
    const file = path.join(dir, "objects.pdf");
    await fs.writeFile(file, pdfOfTinyObjectsInStreams(150_000, 100_000, MARKER));
    const { result, most } = await mostDumpsAtOnce(() => removeViaApi(server, file));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, MARKER)).toEqual([]);
    expect(most).toBe(1);
  }, 120_000);

  it("the findings still look at the attached files of a PDF written with object streams once it is cleaned", async () => {
    const photo = path.join(dir, "photo.jpg");
    await run(CONVERT, ["-size", "32x32", "plasma:", photo]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-Artist=${ARTIST}`, photo]);
    const { file } = await makePdfWithAttachments(dir, `${MARKER}Attached`, { inner: await fs.readFile(photo), nested: false });
    const packed = path.join(dir, "packed.pdf");
    await run("qpdf", ["--object-streams=generate", file, packed]);
    expect((await fs.readFile(packed)).includes("/ObjStm")).toBe(true);
    const { result, most } = await mostDumpsAtOnce(() => removeViaApi(server, packed));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(await findMarker(result.cleaned!, ARTIST)).toEqual([]);
    const findings = result.body["findings"] as { kind: string; title: string; value?: string }[];
    expect(findings.find((f) => f.kind === "people" && f.title.startsWith(`${ATTACHED_PHOTO}: `))?.value, JSON.stringify(findings)).toContain(ARTIST);
    expect(most).toBeLessThanOrEqual(1);
  }, 60_000);
});
