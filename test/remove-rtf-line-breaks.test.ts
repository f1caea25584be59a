import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rtfText } from "./helpers/make-rtf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-rtf-breaks-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** An RTF as macOS's TextEdit (Cocoa) writes it: a group's `\*` and its destination on two lines, as in ExifTool's sample RTF.rtf. */
function cocoaRtf(marker: string): string {
  return [
    "{\\rtf1\\ansi\\ansicpg1252\\cocoartf949\\cocoasubrtf540",
    "{\\fonttbl\\f0\\fswiss\\fcharset0 Helvetica;}",
    "{\\info",
    `{\\title ${marker} title}`,
    "{\\author",
    `${marker} author}`,
    "{\\*\\company",
    ` ${marker} company}}`,
    "{\\*",
    "\\userprops",
    `{{\\propname CustomString}\\proptype30{\\staticval ${marker}}}`,
    "{{\\propname CustomNumber}\\proptype3{\\staticval 123456}}",
    "}{",
    "\\*\\generator Cocoa " + marker + ";}\\margl1440\\margr1440\\vieww9000\\viewh8400\\viewkind0",
    "\\pard\\ql\\qnatural",
    "",
    "\\f0\\fs24 \\cf0 This is some text}",
  ].join("\n");
}

it("an RTF whose group heads are broken over lines (Cocoa's `{\\*` then `\\userprops`) loses its custom properties too; the text stays", async () => {
  const marker = `RtfBr${crypto.randomBytes(5).toString("hex")}`;
  const file = path.join(dir, "cocoa.rtf");
  await fs.writeFile(file, cocoaRtf(marker), "latin1");
  const { status, body, cleaned } = await removeViaApi(server, file);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, "cleaned.rtf");
  await fs.writeFile(out, cleaned!);
  expect(await findMarker(out, marker)).toEqual([]);
  expect(await rtfText(dir, out)).toBe(await rtfText(dir, file));
  expect(await rtfText(dir, out)).toBe("This is some text");
}, 120_000);
