import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { directoryEntries, withSiblingsGoingRound } from "./helpers/compound-links.js";
import { makeMarkedLegacyOffice, writeCompound } from "./helpers/make-legacy-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/*
 * Fuzz seed 1111758247, #1665: a 10 KB Word document whose directory's sibling links went round
 * (one entry's right sibling named the entry before it) took the whole service down. The compound
 * file library follows those links with no bound, growing one array, and a worker thread that
 * reaches its heap limit that way aborts the process (nodejs/node#47224), not only itself. The
 * service now checks that the library's walks of a file end before it lets the library read it:
 * the document is refused as damaged, its extraction answers, and the service lives on.
 */
let server: RunningServer;
let dir: string;
/** The library's rewrite of a Word document holding `marker`: its directory links the root's entries in one chain of right siblings. */
let good: string;
const marker = `Cfbloop${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-compound-links-"));
  server = await startServer();
  const word = await makeMarkedLegacyOffice(dir, "doc", marker);
  good = await writeCompound(dir, CFB.read(await fs.readFile(word), { type: "buffer" }), "good.doc");
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The byte offset of each directory entry, by entry id. */
const entryOffsets = (bytes: Buffer): number[] => directoryEntries(bytes).map((e) => e.at);

it("a Word document whose directory's sibling links go round is refused as damaged, its extraction answers, and the service lives on", async () => {
  const damaged = withSiblingsGoingRound(await fs.readFile(good));
  await expectRefusedAndAlive(damaged, "round.doc");

  // The same document undamaged is cleaned.
  const cleaned = await removeViaApi(server, good);
  expect(cleaned.status, JSON.stringify(cleaned.body)).toBe(200);
  expect(cleaned.cleaned!.includes(marker, 0, "latin1")).toBe(false);
}, 120_000);

/** Sends `damaged` to both endpoints: extraction answers, removal refuses it as damaged, and the service lives on. */
async function expectRefusedAndAlive(damaged: Buffer, name: string): Promise<void> {
  const file = path.join(dir, name);
  await fs.writeFile(file, damaged);
  const extracted = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data: damaged }, { headers: { "X-API-Key": server.apiKey } });
  expect(extracted.status).toBe(200);
  const refused = await removeViaApi(server, file);
  expect(refused.status, JSON.stringify(refused.body)).toBe(422);
  expect(refused.body["error"]).toBe("The file is not a readable Office 97-2003 document: its compound file structure is damaged.");
  expect(refused.cleaned).toBeNull();
  expect(server.process.exitCode).toBeNull();
  expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
}

it("a Word document whose stream starts inside its own looping sector chain is refused as damaged, and the service lives on", async () => {
  // A stream of 4096 bytes or more: the library follows its chain itself.
  const doc = CFB.read(await fs.readFile(good), { type: "buffer" });
  CFB.utils.cfb_add(doc, "Filler", Buffer.alloc(8192, 1));
  const bytes = await fs.readFile(await writeCompound(dir, doc, "big.doc"));
  const fat = (bytes.readInt32LE(76) + 1) * 512;
  const entry = entryOffsets(bytes).find((at) => bytes[at + 66] === 2 && bytes.readInt32LE(at + 120) >= 4096)!;
  const chain = [bytes.readInt32LE(entry + 116)];
  while (bytes.readInt32LE(fat + chain[chain.length - 1]! * 4) >= 0) chain.push(bytes.readInt32LE(fat + chain[chain.length - 1]! * 4));
  expect(chain.length).toBeGreaterThan(2);
  const damaged = Buffer.from(bytes);
  // Its last sector leads back to its second, where the stream now starts.
  damaged.writeInt32LE(chain[1]!, fat + chain[chain.length - 1]! * 4);
  damaged.writeInt32LE(chain[1]!, entry + 116);
  await expectRefusedAndAlive(damaged, "loop.doc");
}, 120_000);
