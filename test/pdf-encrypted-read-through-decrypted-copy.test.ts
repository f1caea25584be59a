import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minimalTextPdf } from "./helpers/make-files.js";
import { treeCpuWithEndedMs } from "./helpers/fuzz-proc.js";
import { findMarker } from "./helpers/marker-scan.js";
import { makeMarkedPdf, PDF_TEXT, pdfContent } from "./helpers/make-pdf.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

/*
 * A PDF encrypted with AES-256 (revision 6) that opens without a password (an owner password
 * only, as "protected" documents are): ExifTool derived the empty password's keys in Perl (64
 * rounds and more of AES and SHA-2, three times) for 4.3-5.1 s of CPU on each read of a 5.6 kB
 * file, for an extraction and again for a removal's read. It now reads a copy qpdf decrypted, with
 * the tags of the original's encryption dictionary added: the same answer for a fraction of it.
 */

/** CPU of the service and everything under it for one request: ExifTool's derivation alone took over 4 s. */
const CPU_MS = 1500;

let server: RunningServer;
let dir: string;
const MARKER = `Pdfaes${crypto.randomBytes(6).toString("hex")}`;
let encrypted: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-r6-"));
  server = await startServer();
  encrypted = await makeMarkedPdf(dir, "encrypted", MARKER);
  expect((await fs.readFile(encrypted)).includes("/R 6")).toBe(true);
  // The service's first PDF starts its worker threads and ExifTool: not this test's cost.
  const warm = path.join(dir, "warm.pdf");
  await fs.writeFile(warm, minimalTextPdf("warm"));
  expect((await extract(warm)).status).toBe(200);
  expect((await removeViaApi(server, warm)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function extract(file: string, fields: Record<string, string> = {}): Promise<Response> {
  return fs.readFile(file).then((data) => postFile(`${server.baseUrl}/api/v1/extract`, { name: "protected.pdf", data }, { headers: { "X-API-Key": server.apiKey }, fields }));
}

/** `work`'s result and the CPU the service's process tree spent meanwhile. */
async function withCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = await treeCpuWithEndedMs(server.process.pid!);
  const result = await work();
  return { result, cpuMs: (await treeCpuWithEndedMs(server.process.pid!)) - before };
}

/** A value of ExifTool's JSON as the contract shows it (numbers as text, binary data by its size). */
function shown(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shown);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const binary = typeof value === "string" ? /^\(Binary data (\d+) bytes/.exec(value) : null;
  return binary != null ? `[binary data: ${binary[1]} bytes]` : value;
}

describe("an AES-256 (R6) PDF that opens without a password", () => {
  it("is extracted with every tag ExifTool reads of the file itself (its encryption too), for a fraction of the CPU", async () => {
    // ExifTool's own read, with the service's arguments: the reference, at its cost.
    const own = (JSON.parse(await exiftool(["-json", "-G0", "-u", "-ee", "-api", "LargeFileSupport=1", encrypted])) as Array<Record<string, unknown>>)[0]!;
    expect(own["PDF:Encryption"]).toBe("Standard V5.6 (256-bit)");
    const expected: Record<string, Record<string, unknown>> = {};
    for (const [key, value] of Object.entries(own)) {
      const [group, tag] = key.split(":");
      if (tag == null || group === "File" || group === "ExifTool") continue;
      (expected[group!.toLowerCase()] ??= {})[tag] = shown(value);
    }
    expect(expected["xmp"]?.["Creator"]).toBe(MARKER);

    const { result: res, cpuMs } = await withCpu(() => extract(encrypted));
    const body = (await res.json()) as { metadata: Record<string, Record<string, unknown>> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const { File: file, ...groups } = body.metadata;
    expect(file?.["FileType"]).toBe("PDF");
    expect(groups).toEqual(expected);
    expect(cpuMs).toBeLessThan(CPU_MS);
  }, 120_000);

  it("gives the encryption's tags as numbers where numeric values are asked for", async () => {
    const res = await extract(encrypted, { numeric: "true" });
    const body = (await res.json()) as { metadata: Record<string, Record<string, unknown>> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const permissions = /P = (-?\d+)/.exec((await run("qpdf", ["--show-encryption", encrypted])).stdout.toString("utf8"))![1];
    expect(body.metadata["pdf"]).toMatchObject({ Encryption: "Standard V5.6 (256-bit)", UserAccess: Number(permissions) & 0x0f3c, Linearized: false });
  }, 60_000);

  it("is removed to a clean, unencrypted copy with the same text, for a fraction of the CPU", async () => {
    const before = await pdfContent(encrypted);
    expect(before.text).toContain(PDF_TEXT);
    const { result, cpuMs } = await withCpu(() => removeViaApi(server, encrypted, "protected.pdf"));
    const { status, body, cleaned } = result;
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, cleaned!);
    expect(cleaned!.includes("/Encrypt")).toBe(false);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
    expect(cpuMs).toBeLessThan(CPU_MS);
  }, 120_000);
});
