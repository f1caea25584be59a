import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LegacyKind, legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { HEALTH_MS, REFUSAL_MS, TREE_MB, removeBytesWatched } from "./helpers/quick-refusal.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A Word, Excel or PowerPoint 97-2003 file cut short (an upload or a download broken off). Word
 * and LibreOffice write the compound file's directory last: cut before it, the file is a bare
 * compound file to ExifTool (a FlashPix image, "FPX"), and was refused as "Metadata removal is not
 * supported for this file type (FPX)" ("(unknown)" when cut within its header); cut past it, its
 * last streams ran past the file's end. Each is a damaged file, and is told so. A cut that takes
 * only the unused end of the last sector loses nothing any stream holds: that file may be cleaned,
 * if the copy is verified (the contract: "A damaged file may be cleaned if the result is verified
 * clean").
 */

const DAMAGED = "The file is not a readable Office 97-2003 document: its compound file structure is damaged.";
/** Cuts that take away whole sectors the file's streams and tables use: inside the header, then fractions of the file. */
const LOSING = (length: number): number[] => [300, ...[0.2, 0.4, 0.5, 0.6, 0.8, 0.9].map((f) => Math.floor(length * f))];
/** Cuts within the last sectors, which may hold only their unused ends. */
const TAIL = (length: number): number[] => [Math.floor(length * 0.97), length - 512, length - 10];

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-cut-short-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("an Office 97-2003 file cut short", () => {
  it.each<LegacyKind>(["doc", "xls", "ppt"])("%s: a cut is a quick 422 saying the file is damaged, never 'not supported' or a 5xx", async (kind) => {
    const marker = `Cut${crypto.randomBytes(5).toString("hex")}`;
    const source = await makeMarkedLegacyOffice(dir, kind, marker);
    const whole = await fs.readFile(source);
    const answers: string[] = [];
    const cleaned: Array<{ length: number; bytes: Buffer }> = [];
    for (const length of [...LOSING(whole.length), ...TAIL(whole.length)]) {
      const { result, ms, peakTreeMb, slowestHealthMs } = await removeBytesWatched(server, dir, `cut-${length}.${kind}`, whole.subarray(0, length));
      answers.push(`${length}/${whole.length}: ${result.status} ${result.status === 200 ? "cleaned" : String(result.body["error"])}`);
      expect(ms, `${length}`).toBeLessThan(REFUSAL_MS);
      expect(peakTreeMb).toBeLessThan(TREE_MB);
      expect(slowestHealthMs).toBeLessThan(HEALTH_MS);
      if (result.status === 200) {
        expect(result.body["remaining"]).toEqual({});
        cleaned.push({ length, bytes: result.cleaned! });
      }
    }
    const damaged = (length: number): string => `${length}/${whole.length}: 422 ${DAMAGED}`;
    expect(answers.slice(0, LOSING(whole.length).length)).toEqual(LOSING(whole.length).map(damaged));
    expect(answers.slice(LOSING(whole.length).length)).toEqual(TAIL(whole.length).map((length) => (cleaned.some((c) => c.length === length) ? `${length}/${whole.length}: 200 cleaned` : damaged(length))));
    // What was cleaned is verified: the marker gone, the text the whole file's (a Word document's
    // comment and tracked deletion blanked).
    const words = (t: string): string => t.replace("deleted words", "").replace("A remark", "").replace(/\s+/gu, " ").trim();
    const text = words(await legacyOfficeText(dir, kind, source));
    for (const { length, bytes } of cleaned) {
      const out = path.join(dir, `cleaned-${length}.${kind}`);
      await fs.writeFile(out, bytes);
      expect(await findMarker(out, marker)).toEqual([]);
      expect(words(await legacyOfficeText(dir, kind, out))).toBe(text);
    }
  }, 300_000);
});
