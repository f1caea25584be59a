import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeMarkedJpeg, odf, zip } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * The cleaning of an OpenDocument part goes by namespace: an annotation is `office:annotation`,
 * its author's initials `meta:creator-initials`. A damaged declaration (fuzz seed 226070679, #6484:
 * one bit flipped in a deflated content.xml made every `urn:` of its declarations `uro:`) put them
 * in namespaces no rule knew, and the initials came back. An element of a prefix every writer
 * gives an OpenDocument namespace, found in another namespace, now has the file refused. The same
 * documents undamaged are cleaned by the office tests (remove-office.test.ts and others).
 */
let server: RunningServer;
let dir: string;
const MARKER = `Odfns${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-odf-ns-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

it.each([
  // Comments kept: the annotation stays, and with it the initials of its author the rules no longer knew.
  ["the meta namespace (comments kept)", 'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"', 'xmlns:meta="uro:oasis:names:tc:opendocument:xmlns:meta:1.0"', { keep: "comments" }],
  ["every urn: namespace, as the fuzz test's flipped bit did", /xmlns:(\w+)="urn:/g, 'xmlns:$1="uro:', {}],
] as const)("a spreadsheet whose content.xml declares %s damaged is refused, with no copy", async (_what, from, to, fields) => {
  const parts = odf("ods", MARKER, await makeMarkedJpeg(dir, MARKER));
  const content = parts.find(([name]) => name === "content.xml")!;
  const damaged = String(content[1]).replace(from, to);
  expect(damaged).not.toBe(content[1]);
  expect(damaged).toContain(`<meta:creator-initials>${MARKER}ini`);
  const file = path.join(dir, `${crypto.randomUUID()}.ods`);
  await fs.writeFile(file, await zip(parts.map(([name, data]) => (name === "content.xml" ? [name, damaged] : [name, data]))));

  const { status, body, cleaned } = await removeViaApi(server, file, path.basename(file), fields);
  expect(status, JSON.stringify(body)).toBe(422);
  expect(body["error"]).toBe("The OpenDocument file is damaged: its XML namespaces are not OpenDocument's.");
  expect(cleaned).toBeNull();
});
