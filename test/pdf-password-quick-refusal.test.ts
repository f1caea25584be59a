import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuSpentMs, treeCpuMs } from "./helpers/fuzz-proc.js";
import { minimalTextPdf } from "./helpers/make-files.js";
import { REFUSAL_MS } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * A PDF encrypted with AES-256 (revision 6) that needs a password to open: ExifTool's read before
 * the cleaning derived the keys of the empty password in Perl (64 rounds and more of AES and
 * SHA-2, twice) for 4.5-7 s of CPU before the removal was refused; qpdf tells the same from the
 * encryption dictionary in milliseconds, right after the screen.
 */

/**
 * The refusal's bound, in CPU time of the service and its ExifTool processes: the derivation alone
 * took over 4 s of CPU; CPU time, unlike the wall clock, does not grow with the machine's load.
 */
const QUICK_CPU_MS = 1500;
const PASSWORD_PROTECTED = "The PDF is password-protected and cannot be cleaned without its password.";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-locked-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function encrypted(name: string, userPassword: string, ...extra: string[]): Promise<string> {
  const plain = path.join(dir, `plain-${name}.pdf`);
  const out = path.join(dir, `${name}.pdf`);
  await fs.writeFile(plain, minimalTextPdf(`Locked ${name}`));
  await run("qpdf", [...extra, "--encrypt", userPassword, "owner-secret", "256", "--", plain, out]);
  return out;
}

describe("POST /api/v1/remove on a PDF that needs a password to open", () => {
  it("AES-256 (R6), plain or with object streams: a 422 saying so, quickly", async () => {
    for (const file of [await encrypted("locked", "user-secret"), await encrypted("locked-objstm", "user-secret", "--object-streams=generate")]) {
      expect((await fs.readFile(file)).includes("/R 6")).toBe(true);
      const started = performance.now();
      const cpuBefore = await treeCpuMs(server.process.pid!);
      const { status, body, cleaned } = await removeViaApi(server, file);
      const cpuMs = cpuSpentMs(cpuBefore, await treeCpuMs(server.process.pid!));
      const ms = performance.now() - started;
      expect(status, JSON.stringify(body)).toBe(422);
      expect(body["error"]).toBe(PASSWORD_PROTECTED);
      expect(cleaned).toBeNull();
      expect(cpuMs, path.basename(file)).toBeLessThan(QUICK_CPU_MS);
      expect(ms, path.basename(file)).toBeLessThan(REFUSAL_MS);
    }
  });

  it("one that opens without a password (an empty user password) is still cleaned", async () => {
    const file = await encrypted("open", "");
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-open.pdf");
    await fs.writeFile(out, cleaned!);
    expect((await run("pdftotext", [out, "-"])).stdout.toString()).toContain("Locked open");
  }, 60_000);
});
