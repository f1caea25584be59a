import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handZip, type ZipMember } from "./helpers/make-archives.js";
import { makeMarkedJpeg, odf } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * Fuzz seed 1657653122, #2083: an OpenDocument presentation with a length lie (a part's headers
 * claim more bytes than its data inflates to), refused alone as "not a readable ZIP archive", got
 * a 500 under load: ENOTEMPTY from the removal of the cleaning's work folder. stream.pipeline
 * rejects on the first error without waiting for the file it writes to be closed: the cleaner
 * failed while the damaged part's file could still be opening, created after the removal had
 * listed the folder, and the failed removal replaced the refusal. Each part is now closed before
 * a failure is told, and a removal that fails after a cleaner's failure no longer replaces it.
 *
 * The race needs a thread of libuv's pool to be slower at creating the file than the rest at
 * inflating and failing, so this cannot force it: it gives it its widest window (hundreds of
 * parts already unpacked, removed between the folder's listing and its rmdir), several at once,
 * and checks what must hold whatever the timing.
 */

let server: RunningServer;
let dir: string;

/** Unpacked before the damaged part: as many files to remove in the window the race needs. */
const PADDING = 400;
const AT_ONCE = 4;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-damaged-zip-"));
  server = await startServer({ RATE_LIMIT_PER_MINUTE: "1000" });
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `PADDING` empty members, then `members`, one of them claiming 100 bytes more than it holds. */
function withLengthLie(members: readonly ZipMember[], liar: string): Buffer {
  const padding = Array.from({ length: PADDING }, (_, i): ZipMember => ({ name: `Pictures/pad${i}.png` }));
  const lying = members.map((m) => (m.name === liar ? { ...m, claimedSize: (m.data?.length ?? 0) + 100 } : m));
  return handZip([...lying.slice(0, 1), ...padding, ...lying.slice(1)]);
}

async function damagedOdp(): Promise<Buffer> {
  const marker = `Zlie${crypto.randomBytes(5).toString("hex")}`;
  const parts = odf("odp", marker, await makeMarkedJpeg(dir, marker));
  const members = parts.map(([name, data]): ZipMember => ({ name, data: Buffer.from(data), deflate: name !== "mimetype" }));
  return withLengthLie(members, "content.xml");
}

async function damagedZip(): Promise<Buffer> {
  const text = Buffer.from("a line of text\n".repeat(200));
  return withLengthLie([{ name: "readme.txt", data: text, deflate: true }, { name: "notes.txt", data: text, deflate: true }], "notes.txt");
}

describe("POST /api/v1/remove of ZIP-based files with a length lie, several at once", () => {
  it.each([
    { kind: "odp", make: damagedOdp },
    { kind: "zip", make: damagedZip },
  ])("$kind: every answer is the 422 of the damaged archive, no work file is left and the log holds no removal failure", async ({ kind, make }) => {
    const file = path.join(dir, `length-lie.${kind}`);
    await fs.writeFile(file, await make());
    const outcomes = await Promise.all(Array.from({ length: AT_ONCE }, () => removeViaApi(server, file)));
    for (const { status, body } of outcomes) {
      expect(status, JSON.stringify(body)).toBe(422);
      expect(body["error"]).toBe("The file is not a readable ZIP archive.");
    }
    const leftovers = (await fs.readdir(path.join(server.dataDir, "tmp"), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(leftovers.map((e) => e.name)).toEqual([]);
    expect(server.logs.filter((l) => l.includes("ENOTEMPTY"))).toEqual([]);
  }, 120_000);
});
