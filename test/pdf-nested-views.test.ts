import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeCpuWithEndedMs } from "./helpers/fuzz-proc.js";
import { minimalTextPdf } from "./helpers/make-files.js";
import { zip } from "./helpers/make-office.js";
import { attachedFiles, PDF_TEXT, pdfContent, textPagePdf } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * PDFs ExifTool reads through a view when they are uploaded (an encrypted one that opens without a
 * password through its decrypted copy, one whose header follows other bytes through a copy with
 * the header where ExifTool looks) were read as they are when they came inside a ZIP or attached
 * to a PDF: one after a mail's lines was refused as text ("cannot be cleaned: report.pdf (TXT)"),
 * an AES-256 one took ExifTool's key derivation in Perl for each read (34 s for a ZIP of one
 * 1.6 kB PDF on a busy machine), an RC4 one's Author (in its trailer's own Info) was told in the
 * findings as ciphertext. They
 * are screened as uploads are now, at every level, and cleaned and verified there.
 */

/** CPU of the service and everything under it for one request: ExifTool's AES-256 derivation alone took over 4 s for each read. */
const CPU_MS = 2500;

let server: RunningServer;
let dir: string;
const MARKER = `Pdfnested${crypto.randomBytes(6).toString("hex")}`;
const JUNK_MARKER = `Sender${crypto.randomBytes(6).toString("hex")}`;
let plain: string;
const inner = new Map<string, Buffer>();

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-nested-"));
  server = await startServer();
  // Its Info in the trailer itself, as some writers keep it: ExifTool decrypts an RC4 file's strings there with the wrong key.
  plain = path.join(dir, "plain.pdf");
  await fs.writeFile(plain, textPagePdf({ trailer: `/Info << /Author (${MARKER}) /Title (Report of ${MARKER}) >>` }));
  const aes = path.join(dir, "aes-256.pdf");
  await run("qpdf", ["--encrypt", "", "owner-secret", "256", "--", plain, aes]);
  expect((await fs.readFile(aes)).includes("/R 6")).toBe(true);
  const rc4 = path.join(dir, "rc4.pdf");
  await run("qpdf", ["--allow-weak-crypto", "--encrypt", "", "owner-secret", "128", "--use-aes=n", "--", plain, rc4]);
  const junk = Buffer.from(`From: ${JUNK_MARKER}@example.com\r\nX-Note: forwarded by ${JUNK_MARKER}\r\n\r\n`, "latin1");
  inner.set("aes-256.pdf", await fs.readFile(aes));
  inner.set("rc4.pdf", await fs.readFile(rc4));
  inner.set("after-junk.pdf", Buffer.concat([junk, await fs.readFile(plain)]));
  // The service's first PDF and ZIP start its worker threads and ExifTool: not this test's cost.
  const warm = path.join(dir, "warm.zip");
  await fs.writeFile(warm, await zip([["warm.pdf", minimalTextPdf("warm")]]));
  expect((await removeViaApi(server, warm)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `work`'s result and the CPU the service's process tree spent meanwhile. */
async function withCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = await treeCpuWithEndedMs(server.process.pid!);
  const result = await work();
  return { result, cpuMs: (await treeCpuWithEndedMs(server.process.pid!)) - before };
}

/** An inner PDF as cleaned: no marker anywhere, not encrypted, the same text and pages as the plain PDF. */
async function expectCleanPdf(name: string, data: Buffer): Promise<void> {
  const out = path.join(dir, `cleaned-${crypto.randomUUID()}-${name}`);
  await fs.writeFile(out, data);
  expect(data.toString("latin1", 0, 5), name).toBe("%PDF-");
  expect(data.includes("/Encrypt"), name).toBe(false);
  expect(await findMarker(out, MARKER), name).toEqual([]);
  expect(await findMarker(out, JUNK_MARKER), name).toEqual([]);
  const content = await pdfContent(out);
  expect(content.text).toContain(PDF_TEXT);
  expect(content, name).toEqual(await pdfContent(plain));
}

/** The findings' value of the inner file's Author, as the removal's answer tells it. */
function authorFinding(body: Record<string, unknown>, name: string): unknown {
  const findings = body["findings"] as Array<{ title: string; tags: string[]; value: unknown }>;
  return findings.find((f) => f.title.startsWith(`${name}: `) && f.tags.includes("pdf:Author"))?.value;
}

describe("PDFs ExifTool reads through a view, inside a ZIP", () => {
  it.each(["aes-256.pdf", "rc4.pdf", "after-junk.pdf"])("%s is cleaned and verified there, read as the PDF it is, for a fraction of the CPU", async (name) => {
    const file = path.join(dir, `${name}.zip`);
    await fs.writeFile(file, await zip([[name, inner.get(name)!]]));
    const { result, cpuMs } = await withCpu(() => removeViaApi(server, file));
    const { status, body, cleaned } = result;
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ pdf: expect.any(Number) });
    // The findings tell what the member gave away, as ExifTool reads it decrypted.
    expect(authorFinding(body, name)).toBe(MARKER);
    const { members } = await readZip(cleaned!);
    expect(members.map((m) => m.name)).toEqual([name]);
    await expectCleanPdf(name, members[0]!.data);
    expect(cpuMs).toBeLessThan(CPU_MS);
  }, 180_000);
});

describe("PDFs ExifTool reads through a view, attached to a PDF", () => {
  it.each(["aes-256.pdf", "rc4.pdf", "after-junk.pdf"])("%s is cleaned and verified there, read as the PDF it is, for a fraction of the CPU", async (name) => {
    const source = path.join(dir, `inner-${name}`);
    await fs.writeFile(source, inner.get(name)!);
    const file = path.join(dir, `attaching-${name}`);
    await run("qpdf", [plain, "--add-attachment", source, `--key=${name}`, `--filename=${name}`, "--", file]);
    const { result, cpuMs } = await withCpu(() => removeViaApi(server, file, "report.pdf"));
    const { status, body, cleaned } = result;
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ attachments: 1 });
    expect(authorFinding(body, name)).toBe(MARKER);
    const out = path.join(dir, `cleaned-attaching-${name}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(await pdfContent(plain));
    const attached = await attachedFiles(out);
    expect([...attached.keys()]).toEqual([name]);
    await expectCleanPdf(name, attached.get(name)!);
    expect(cpuMs).toBeLessThan(CPU_MS);
  }, 180_000);
});
