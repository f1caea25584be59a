import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flatOpenDocument, soffice } from "./helpers/make-legacy-office.js";
import { makeMarkedJpeg, makeOffice, type Part, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An OpenDocument file shows a picture of its Pictures folder only where its markup names it
 * (`xlink:href`); the manifest lists every file, used or not. A picture a tool removed from the
 * text without deleting its file, or one only a deleted tracked change showed, was copied into
 * the clean copy: the photo the author took out was still handed back. It is now left out.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-odf-pictures-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function token(prefix: string): string {
  return `${prefix}${crypto.randomBytes(5).toString("hex")}`;
}

async function names(file: Buffer): Promise<string[]> {
  return (await readZip(file)).members.map((m) => m.name);
}

async function member(file: Buffer, name: string): Promise<string> {
  const found = (await readZip(file)).members.find((m) => m.name === name);
  if (found == null) throw new Error(`${name} is not in the file`);
  return found.data.toString("utf8");
}

function unusedFinding(body: Record<string, unknown>): string | undefined {
  const findings = body["findings"] as Array<{ title: string; value?: string }>;
  return findings.find((f) => f.title.startsWith("The document holds parts that no reader opens"))?.value;
}

const manifestEntry = (p: string, t: string): string => `<manifest:file-entry manifest:full-path="${p}" manifest:media-type="${t}"/>`;

/** The hand-built ODT (makeOffice) with `extra` files added to it and its manifest, and its parts changed by `edit`. */
async function odtWith(extra: readonly Part[], edit: (name: string, xml: string) => string = (_, xml) => xml): Promise<Buffer> {
  const { bytes } = await makeOffice("odt", token("Meta"), await makeMarkedJpeg(dir, token("Pic")));
  const parts = (await readZip(bytes)).members.map((m): Part => {
    if (m.name === "META-INF/manifest.xml") {
      const entries = extra.map(([name]) => manifestEntry(name, name.endsWith(".xml") ? "text/xml" : "image/jpeg")).join("");
      return [m.name, m.data.toString("utf8").replace("</manifest:manifest>", `${entries}</manifest:manifest>`)];
    }
    return [m.name, m.name.endsWith(".xml") ? edit(m.name, m.data.toString("utf8")) : m.data];
  });
  return zip([...parts.slice(0, -1), ...extra, parts[parts.length - 1]!]);
}

describe("POST /api/v1/remove on an OpenDocument file holding pictures its markup does not show", () => {
  it("a picture nothing names is reported, then left out of the copy and its manifest; pictures named from styles, an embedded object or percent-encoded stay", async () => {
    const orphan = token("Orphan");
    const jpeg = await makeMarkedJpeg(dir, token("Kept"));
    const object = `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"><office:body><office:drawing><draw:page draw:name="p"><draw:frame><draw:image xlink:href="Pictures/inner.jpeg"/></draw:frame></draw:page></office:drawing></office:body></office:document-content>`;
    const edit = (name: string, xml: string): string => {
      if (name === "styles.xml") return xml.replace("<office:styles>", `<office:styles><draw:fill-image draw:name="Fill" xlink:href="Pictures/fill.jpeg" xlink:type="simple"/>`);
      if (name === "content.xml") return xml.replace("</office:text>", `<text:p><draw:frame draw:name="Sp"><draw:image xlink:href="Pictures/with%20space.jpeg"/></draw:frame><draw:frame draw:name="Obj"><draw:object xlink:href="./Object 1"/></draw:frame></text:p></office:text>`);
      return xml;
    };
    const used: Part[] = [
      ["Pictures/fill.jpeg", jpeg],
      ["Pictures/with space.jpeg", jpeg],
      ["Object 1/content.xml", object],
      ["Object 1/Pictures/inner.jpeg", jpeg],
    ];
    const whole = await removeViaApi(server, await savedIn(dir, "whole.odt", await odtWith(used, edit)));
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(whole.body["removed"]).not.toHaveProperty("unusedParts");
    expect(unusedFinding(whole.body)).toBeUndefined();

    const left = `Pictures/${orphan}.jpeg`;
    const res = await removeViaApi(server, await savedIn(dir, "leftover.odt", await odtWith([...used, [left, jpeg]], edit)));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(unusedFinding(res.body)).toBe(left);
    expect((res.body["removed"] as Record<string, number>)["unusedParts"]).toBe(1);
    const kept = await names(res.cleaned!);
    expect(kept).not.toContain(left);
    for (const [name] of used) expect(kept).toContain(name);
    expect(kept).toContain("Pictures/image1.jpeg");
    expect(await member(res.cleaned!, "META-INF/manifest.xml")).toContain("Pictures/fill.jpeg");
    expect(await findMarker(res.cleaned!, orphan)).toEqual([]);
  });

  it("a picture only a deleted tracked change showed goes with the change, uncounted; kept with keep=trackedChanges", async () => {
    const deleted = token("Deleted");
    const picture = `Pictures/${deleted}.jpeg`;
    const region = `<text:changed-region text:id="d1"><text:deletion><office:change-info><dc:creator>x</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info><text:p><draw:frame draw:name="Gone"><draw:image xlink:href="${picture}"/></draw:frame></text:p></text:deletion></text:changed-region>`;
    const file = await savedIn(dir, "deleted-picture.odt", await odtWith([[picture, await makeMarkedJpeg(dir, token("Del"))]], (name, xml) => (name === "content.xml" ? xml.replace("</text:tracked-changes>", `${region}</text:tracked-changes>`) : xml)));

    const res = await removeViaApi(server, file);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(unusedFinding(res.body)).toBeUndefined();
    const removed = res.body["removed"] as Record<string, number>;
    expect(removed["trackedChanges"]).toBe(2);
    expect(removed).not.toHaveProperty("unusedParts");
    expect(await names(res.cleaned!)).not.toContain(picture);
    expect(await findMarker(res.cleaned!, deleted)).toEqual([]);

    const keeping = await removeViaApi(server, file, "deleted-picture.odt", { keep: "trackedChanges" });
    expect(keeping.status, JSON.stringify(keeping.body)).toBe(200);
    expect(await names(keeping.cleaned!)).toContain(picture);
  });

  it("documents LibreOffice saved keep every picture they hold", async () => {
    const pictures = [await makeMarkedJpeg(dir, token("A")), await makeMarkedJpeg(dir, token("B"))];
    const work = path.join(dir, "lo");
    await fs.mkdir(work);
    const kinds = [
      ["doc", "fodt", "odt"],
      ["xls", "fods", "ods"],
      ["ppt", "fodp", "odp"],
    ] as const;
    for (const [kind, flat] of kinds) await fs.writeFile(path.join(work, `source.${flat}`), flatOpenDocument(kind, token("Lo"), pictures));
    for (const [, flat, odf] of kinds) await soffice(work, ["--convert-to", odf, "--outdir", work, path.join(work, `source.${flat}`)]);
    for (const [, , odf] of kinds) {
      const original = await fs.readFile(path.join(work, `source.${odf}`));
      const held = (await names(original)).filter((n) => n.startsWith("Pictures/"));
      expect(held.length, odf).toBeGreaterThan(0);
      const res = await removeViaApi(server, path.join(work, `source.${odf}`));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body["removed"], odf).not.toHaveProperty("unusedParts");
      expect(unusedFinding(res.body), odf).toBeUndefined();
      const kept = await names(res.cleaned!);
      for (const name of held) expect(kept, odf).toContain(name);
    }
  });
});
