import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedJpeg, makeOffice, ODF_NS, type Part, XML, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-odf-templates-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const OD = "application/vnd.oasis.opendocument";

/** ExifTool's FileType of a copy without extension, as the service reads it. */
async function fileType(bytes: Buffer): Promise<string> {
  const bare = path.join(dir, `bare-${crypto.randomUUID()}`);
  await fs.writeFile(bare, bytes);
  return (await exiftool(["-s3", "-FileType", bare])).trim();
}

async function members(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Map((await readZip(bytes)).members.map((m) => [m.name, m.data]));
}

/** The same package with another `mimetype` (and the manifest's root entry saying the same). */
async function withMimeType(bytes: Buffer, from: string, to: string): Promise<Buffer> {
  const parts: Part[] = (await readZip(bytes)).members.map((m) => [
    m.name,
    m.name === "mimetype" ? to : m.name === "META-INF/manifest.xml" ? m.data.toString("utf8").replace(`"${from}"`, `"${to}"`) : m.data,
  ]);
  return zip(parts);
}

/** A LibreOffice Math formula: MathML content, and the marker in its meta.xml and settings. */
function formula(m: string): Promise<Buffer> {
  const math = `<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><semantics><mrow><mi>a</mi><mo>+</mo><mi>b</mi></mrow><annotation encoding="StarMath 5.0">a + b</annotation></semantics></math>`;
  const meta = `${XML}<office:document-meta ${ODF_NS} office:version="1.3"><office:meta><meta:initial-creator>${m} initial</meta:initial-creator><dc:creator>${m} creator</dc:creator><meta:generator>${m} generator</meta:generator><dc:date>2023-05-06T08:09:10</dc:date></office:meta></office:document-meta>`;
  const settings = `${XML}<office:document-settings ${ODF_NS} office:version="1.3"><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" config:type="string">${m} printer</config:config-item></config:config-item-set></office:settings></office:document-settings>`;
  const entry = (p: string, t: string): string => `<manifest:file-entry manifest:full-path="${p}" manifest:media-type="${t}"/>`;
  const manifest = `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">${entry("/", `${OD}.formula`)}${entry("content.xml", "text/xml")}${entry("meta.xml", "text/xml")}${entry("settings.xml", "text/xml")}</manifest:manifest>`;
  return zip([
    ["mimetype", `${OD}.formula`],
    ["content.xml", `${XML}${math}`],
    ["meta.xml", meta],
    ["settings.xml", settings],
    ["META-INF/manifest.xml", manifest],
  ]);
}

async function clean(bytes: Buffer, name: string): Promise<{ out: Buffer }> {
  const file = path.join(dir, `in-${crypto.randomUUID()}`);
  await fs.writeFile(file, bytes);
  const { status, body, cleaned } = await removeViaApi(server, file, name, { keep: "comments,trackedChanges" });
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  return { out: cleaned! };
}

describe("POST /api/v1/remove on OpenDocument templates and formulas", () => {
  // ExifTool does not know the templates' mimetype and calls them ZIP; the service used to clean
  // them as archives, member by member, and refuse them for their XML parts.
  it.each([
    { kind: "odt", type: "OTT", mime: `${OD}.text-template` },
    { kind: "ods", type: "OTS", mime: `${OD}.spreadsheet-template` },
    { kind: "odp", type: "OTP", mime: `${OD}.presentation-template` },
  ] as const)("cleans a $type as the document it is: properties, settings and thumbnail gone, content as it was", async ({ kind, type, mime }) => {
    const marker = `Tmpl${type}${crypto.randomBytes(5).toString("hex")}`;
    const fx = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    const template = await withMimeType(fx.bytes, mime.replace("-template", ""), mime);
    expect(await fileType(template)).toBe("ZIP");
    expect(await findMarker(template, marker)).not.toEqual([]);

    const { out } = await clean(template, `letter.${type.toLowerCase()}`);
    expect(await findMarker(out, marker)).toEqual([]);
    const [before, after] = [await members(template), await members(out)];
    expect(after.get("mimetype")?.toString("latin1")).toBe(mime);
    expect(after.has("meta.xml")).toBe(false);
    expect(after.has("Thumbnails/thumbnail.png")).toBe(false);
    // What a reader sees: the text, without the review content's authors, initials and dates
    // (kept here, and neutralised).
    const text = (xml: Buffer | undefined): string =>
      (xml?.toString("utf8") ?? "").replace(/<(dc:creator|dc:date|meta:creator-initials)>[^<]*<\/\1>/g, "").replace(/<[^>]*>/g, "");
    expect(text(after.get(fx.bodyPart))).toContain("Hello body");
    expect(text(after.get(fx.bodyPart))).toBe(text(before.get(fx.bodyPart)));
  });

  it("cleans a LibreOffice Math formula (ODF): its properties and printer gone, its MathML as it was", async () => {
    const marker = `Formula${crypto.randomBytes(5).toString("hex")}`;
    const bytes = await formula(marker);
    expect(await fileType(bytes)).toBe("ODF");
    const { out } = await clean(bytes, "sum.odf");
    expect(await findMarker(out, marker)).toEqual([]);
    const [before, after] = [await members(bytes), await members(out)];
    expect(after.get("mimetype")?.toString("latin1")).toBe(`${OD}.formula`);
    expect(after.get("content.xml")?.toString("utf8")).toContain("<mi>a</mi><mo>+</mo><mi>b</mi>");
    expect(after.get("content.xml")?.toString("utf8").replace(/\s/g, "")).toBe(before.get("content.xml")?.toString("utf8").replace(/\s/g, ""));
  });
});
