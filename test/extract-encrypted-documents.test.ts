import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptedLegacyOffice, encryptedOoxml, encryptedOpenDocument } from "./helpers/make-encrypted-office.js";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { makeMarkedPdf } from "./helpers/make-pdf.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type ReportedFinding, type RunningServer, startServer } from "./helpers/server.js";
import { savedIn } from "./helpers/saved.js";
import { run } from "./helpers/tools.js";

/**
 * A document saved with a password keeps its content, and the metadata inside it, as ciphertext:
 * its extraction showed only what lies outside (the file's size and type, a legacy document's
 * summary properties) and no finding, as if it gave nothing away. It now says it is encrypted, in
 * `findings` and in `warnings`; its removal is refused as encrypted.
 */

const WARNING = "The document is encrypted (password-protected): its content and the metadata inside it could not be read; neither `metadata` nor `findings` shows them.";
const ENCRYPTED_TITLE = "The document is encrypted (password-protected): its content, and the metadata inside it, could not be looked into; whoever has the password can read them.";
const REFUSAL = /^The document is encrypted \(password-protected\): its content and metadata cannot be read, so it cannot be cleaned without its password\./;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-extract-encrypted-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function extraction(name: string, data: Buffer): Promise<{ warnings: string[]; findings: ReportedFinding[] }> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as { warnings: string[]; findings: ReportedFinding[] };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function expectSaidEncrypted(name: string, data: Buffer): Promise<void> {
  const { warnings, findings } = await extraction(name, data);
  expect(warnings).toContain(WARNING);
  expect(findings.filter((f) => f.title.startsWith("The document is encrypted"))).toEqual([{ kind: "hidden", severity: "medium", title: ENCRYPTED_TITLE, tags: [] }]);
  const { status, body } = await removeViaApi(server, await savedIn(dir, name, data));
  expect(status, JSON.stringify(body)).toBe(422);
  expect(body["error"]).toMatch(REFUSAL);
}

describe("extraction of a document saved with a password", () => {
  it.each(["odt", "ods"] as const)("%s: says its content is encrypted", async (kind) => {
    await expectSaidEncrypted(`secret.${kind}`, await encryptedOpenDocument(kind));
  });

  it("a DOCX in its encrypted package: says its content is encrypted", async () => {
    await expectSaidEncrypted("secret.docx", encryptedOoxml());
  });

  it("a PDF that needs a password to open: says its content is encrypted, where one that opens without (an owner password only) is read", async () => {
    const pdf = await makeMarkedPdf(dir, "plain", "LockedAuthor");
    const locked = path.join(dir, "locked.pdf");
    const owned = path.join(dir, "owned.pdf");
    await run("qpdf", ["--encrypt", "reader", "owner", "256", "--", pdf, locked]);
    await run("qpdf", ["--encrypt", "", "owner", "256", "--", pdf, owned]);
    const open = await extraction("owned.pdf", await fs.readFile(owned));
    expect(open.warnings).not.toContain(WARNING);
    expect(JSON.stringify(open.findings)).toContain("LockedAuthor");
    const { status, body } = await removeViaApi(server, locked);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The PDF is password-protected and cannot be cleaned without its password.");
    const { warnings, findings } = await extraction("locked.pdf", await fs.readFile(locked));
    expect(warnings).toContain(WARNING);
    expect(findings.map((f) => f.title)).toContain(ENCRYPTED_TITLE);
    // The command line's inspect says so too.
    const inspected = await server.cli(["inspect", "--json", locked]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect((JSON.parse(inspected.stdout) as { findings: ReportedFinding[] }).findings.map((f) => f.title)).toContain(ENCRYPTED_TITLE);
  });

  it.each(["doc", "xls", "ppt"] as const)("%s: says its content is encrypted, where the same document unencrypted gives no such word", async (kind) => {
    const plain = await fs.readFile(await makeMarkedLegacyOffice(dir, kind, "Encrypted"));
    const { warnings, findings } = await extraction(`open.${kind}`, plain);
    expect(warnings).not.toContain(WARNING);
    expect(findings.map((f) => f.title).filter((t) => t.startsWith("The document is encrypted"))).toEqual([]);
    await expectSaidEncrypted(`secret.${kind}`, encryptedLegacyOffice(kind, plain));
  }, 60_000);
});
