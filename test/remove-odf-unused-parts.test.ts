import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flatOpenDocument, legacyOfficeText, makeMarkedLegacyOffice, soffice } from "./helpers/make-legacy-office.js";
import { makeMarkedJpeg, makeOffice, type Part, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";
import { unusedPartsFinding, zipNames } from "./helpers/unused-parts.js";

/*
 * An OpenDocument file shows a picture of its Pictures folder, or an embedded object (a chart...),
 * only where its markup names it (`xlink:href`); the manifest lists every file, used or not. A
 * picture or chart a tool removed from the text without deleting its files, or a picture only a
 * deleted tracked change showed, was copied into the clean copy: the photo the author took out
 * was still handed back. They are now left out, and so is an OLE object nothing names.
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

async function member(file: Buffer, name: string): Promise<string> {
  const found = (await readZip(file)).members.find((m) => m.name === name);
  if (found == null) throw new Error(`${name} is not in the file`);
  return found.data.toString("utf8");
}

const manifestEntry = (p: string, t: string): string => `<manifest:file-entry manifest:full-path="${p}" manifest:media-type="${t}"/>`;

/** The hand-built ODT (makeOffice) with `extra` files added to it and its manifest, and its parts changed by `edit`. */
async function odtWith(extra: readonly Part[], edit: (name: string, xml: string) => string = (_, xml) => xml): Promise<Buffer> {
  const { bytes } = await makeOffice("odt", token("Meta"), await makeMarkedJpeg(dir, token("Pic")));
  const parts = (await readZip(bytes)).members.map((m): Part => {
    if (m.name === "META-INF/manifest.xml") {
      const type = (name: string): string => (name.endsWith(".xml") ? "text/xml" : /^Object \d+$/.test(name) ? "application/vnd.sun.star.oleobject" : "image/jpeg");
      const entries = extra.map(([name]) => manifestEntry(name, type(name))).join("");
      return [m.name, m.data.toString("utf8").replace("</manifest:manifest>", `${entries}</manifest:manifest>`)];
    }
    return [m.name, m.name.endsWith(".xml") ? edit(m.name, m.data.toString("utf8")) : m.data];
  });
  return zip([...parts.slice(0, -1), ...extra, parts[parts.length - 1]!]);
}

describe("POST /api/v1/remove on an OpenDocument file holding pictures its markup does not show", () => {
  it("a picture or video nothing names is reported, then left out of the copy and its manifest; pictures named from styles, an embedded object or percent-encoded, and a shown video, stay", async () => {
    const orphan = token("Orphan");
    const jpeg = await makeMarkedJpeg(dir, token("Kept"));
    const object = `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"><office:body><office:drawing><draw:page draw:name="p"><draw:frame><draw:image xlink:href="Pictures/inner.jpeg"/></draw:frame></draw:page></office:drawing></office:body></office:document-content>`;
    const edit = (name: string, xml: string): string => {
      if (name === "styles.xml") return xml.replace("<office:styles>", `<office:styles><draw:fill-image draw:name="Fill" xlink:href="Pictures/fill.jpeg" xlink:type="simple"/>`);
      if (name === "content.xml") return xml.replace("</office:text>", `<text:p><draw:frame draw:name="Sp"><draw:image xlink:href="Pictures/with%20space.jpeg"/></draw:frame><draw:frame draw:name="Obj"><draw:object xlink:href="./Object 1"/></draw:frame><draw:frame draw:name="Video"><draw:plugin xlink:href="Media/shown.mp4" draw:mime-type="video/mp4"/></draw:frame></text:p></office:text>`);
      return xml;
    };
    const video = path.join(dir, "clip.mp4");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "color=c=red:s=16x16:d=0.2", "-c:v", "libx264", "-pix_fmt", "yuv420p", video]);
    const used: Part[] = [
      ["Media/shown.mp4", await fs.readFile(video)],
      ["Pictures/fill.jpeg", jpeg],
      ["Pictures/with space.jpeg", jpeg],
      ["Object 1/content.xml", object],
      ["Object 1/Pictures/inner.jpeg", jpeg],
    ];
    const whole = await removeViaApi(server, await savedIn(dir, "whole.odt", await odtWith(used, edit)));
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(whole.body["removed"]).not.toHaveProperty("unusedParts");
    expect(unusedPartsFinding(whole.body)).toBeUndefined();

    const left = `Pictures/${orphan}.jpeg`;
    // A video Impress embedded (`draw:plugin`), its slide since deleted: bytes of no type a cleaner knows.
    const clip = `Media/${orphan}.mp4`;
    const res = await removeViaApi(server, await savedIn(dir, "leftover.odt", await odtWith([...used, [left, jpeg], [clip, Buffer.from(`\0\0\0\x18ftypisom ${orphan} clip`, "latin1")]], edit)));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(unusedPartsFinding(res.body)).toBe(`${left}; ${clip}`);
    expect((res.body["removed"] as Record<string, number>)["unusedParts"]).toBe(2);
    const kept = await zipNames(res.cleaned!);
    expect(kept).not.toContain(left);
    expect(kept).not.toContain(clip);
    for (const [name] of used) expect(kept).toContain(name);
    expect(kept).toContain("Pictures/image1.jpeg");
    expect(await member(res.cleaned!, "META-INF/manifest.xml")).toContain("Pictures/fill.jpeg");
    expect(await findMarker(res.cleaned!, orphan)).toEqual([]);
  });

  it("an OLE object (an Excel 97-2003 workbook) nothing names is reported, then left out; one a frame shows stays, cleaned", async () => {
    const shown = token("Shown");
    const orphan = token("Orphan");
    const objects: Part[] = [
      ["Object 1", await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", shown))],
      ["Object 2", await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", orphan))],
    ];
    const frame = `<text:p><draw:frame draw:name="Ole"><draw:object-ole xlink:href="./Object 1"/></draw:frame></text:p>`;
    const res = await removeViaApi(server, await savedIn(dir, "ole.odt", await odtWith(objects, (name, xml) => (name === "content.xml" ? xml.replace("</office:text>", `${frame}</office:text>`) : xml))));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(unusedPartsFinding(res.body)).toBe("Object 2");
    expect((res.body["removed"] as Record<string, number>)["unusedParts"]).toBe(1);
    const kept = await zipNames(res.cleaned!);
    expect(kept).toContain("Object 1");
    expect(kept).not.toContain("Object 2");
    expect(await member(res.cleaned!, "META-INF/manifest.xml")).not.toContain("Object 2");
    for (const marker of [shown, orphan]) expect(await findMarker(res.cleaned!, marker)).toEqual([]);
    const object = (await readZip(res.cleaned!)).members.find((m) => m.name === "Object 1")!.data;
    expect(await legacyOfficeText(dir, "xls", await savedIn(dir, "object.xls", object))).toBe(await legacyOfficeText(dir, "xls", await savedIn(dir, "shown.xls", objects[0]![1] as Buffer)));
  });

  it("a picture only a deleted tracked change showed goes with the change, uncounted; kept with keep=trackedChanges", async () => {
    const deleted = token("Deleted");
    const picture = `Pictures/${deleted}.jpeg`;
    const region = `<text:changed-region text:id="d1"><text:deletion><office:change-info><dc:creator>x</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info><text:p><draw:frame draw:name="Gone"><draw:image xlink:href="${picture}"/></draw:frame></text:p></text:deletion></text:changed-region>`;
    const file = await savedIn(dir, "deleted-picture.odt", await odtWith([[picture, await makeMarkedJpeg(dir, token("Del"))]], (name, xml) => (name === "content.xml" ? xml.replace("</text:tracked-changes>", `${region}</text:tracked-changes>`) : xml)));

    const res = await removeViaApi(server, file);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(unusedPartsFinding(res.body)).toBeUndefined();
    const removed = res.body["removed"] as Record<string, number>;
    expect(removed["trackedChanges"]).toBe(2);
    expect(removed).not.toHaveProperty("unusedParts");
    expect(await zipNames(res.cleaned!)).not.toContain(picture);
    expect(await findMarker(res.cleaned!, deleted)).toEqual([]);

    const keeping = await removeViaApi(server, file, "deleted-picture.odt", { keep: "trackedChanges" });
    expect(keeping.status, JSON.stringify(keeping.body)).toBe(200);
    expect(await zipNames(keeping.cleaned!)).toContain(picture);
  });

  it("documents LibreOffice saved keep every picture and object they hold; a chart whose frame a tool deleted goes with its replacement picture", async () => {
    const pictures = [await makeMarkedJpeg(dir, token("A")), await makeMarkedJpeg(dir, token("B"))];
    const work = path.join(dir, "lo");
    await fs.mkdir(work);
    const kinds = [
      ["doc", "fodt", "odt"],
      ["xls", "fods", "ods"],
      ["ppt", "fodp", "odp"],
    ] as const;
    for (const [kind, flat] of kinds) await fs.writeFile(path.join(work, `source.${flat}`), flatOpenDocument(kind, token("Lo"), pictures));
    await fs.writeFile(path.join(work, "chart.fods"), CHART_FODS);
    await soffice(work, ["--convert-to", "odt", "--outdir", work, path.join(work, "source.fodt")]);
    await soffice(work, ["--convert-to", "ods", "--outdir", work, path.join(work, "source.fods"), path.join(work, "chart.fods")]);
    await soffice(work, ["--convert-to", "odp", "--outdir", work, path.join(work, "source.fodp")]);
    for (const name of ["source.odt", "source.ods", "source.odp", "chart.ods"]) {
      const original = await fs.readFile(path.join(work, name));
      const held = (await zipNames(original)).filter((n) => /^(Pictures|ObjectReplacements|Object \d+)\//.test(n));
      expect(held.length, name).toBeGreaterThan(0);
      const res = await removeViaApi(server, path.join(work, name));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body["removed"], name).not.toHaveProperty("unusedParts");
      expect(unusedPartsFinding(res.body), name).toBeUndefined();
      const kept = await zipNames(res.cleaned!);
      for (const part of held.filter((n) => !n.endsWith("/meta.xml"))) expect(kept, name).toContain(part);
    }

    // A tool deleted the chart's frame from the sheet, not its object nor its picture.
    const chart = await fs.readFile(path.join(work, "chart.ods"));
    const files = (await readZip(chart)).members.filter((m) => !m.name.endsWith("/"));
    const parts = files.map((m): Part => [m.name, m.name === "content.xml" ? m.data.toString("utf8").replace(/<draw:frame\b.*?<\/draw:frame>/s, "") : m.data]);
    expect(parts.find(([n]) => n === "content.xml")![1]).not.toContain("Object 1");
    const res = await removeViaApi(server, await savedIn(dir, "deleted-chart.ods", await zip(parts)));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((res.body["removed"] as Record<string, number>)["unusedParts"]).toBe(2);
    expect(unusedPartsFinding(res.body)).toBe("Object 1/; ObjectReplacements/Object 1");
    const kept = await zipNames(res.cleaned!);
    expect(kept.filter((n) => n.includes("Object 1"))).toEqual([]);
    expect(await member(res.cleaned!, "META-INF/manifest.xml")).not.toContain("Object 1");
  });

  it("a LibreOffice document's OLE object (an Excel 97-2003 workbook) stays, cleaned; with its frame deleted by a tool it goes", async () => {
    const marker = token("Ole");
    const work = path.join(dir, "lo-ole");
    await fs.mkdir(work);
    await fs.writeFile(path.join(work, "ole.fodt"), oleFodt(await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", marker))));
    await soffice(work, ["--convert-to", "odt", "--outdir", work, path.join(work, "ole.fodt")]);
    const original = await fs.readFile(path.join(work, "ole.odt"));
    const manifest = await member(original, "META-INF/manifest.xml");
    const object = /manifest:full-path="([^"]+)" manifest:media-type="application\/vnd\.sun\.star\.oleobject"/.exec(manifest)?.[1];
    expect(object, manifest).toBeDefined();
    // LibreOffice names a replacement picture in the frame, but writes none for an object it cannot draw.
    expect(await zipNames(original)).toContain(object);

    const res = await removeViaApi(server, path.join(work, "ole.odt"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body["removed"]).not.toHaveProperty("unusedParts");
    expect(unusedPartsFinding(res.body)).toBeUndefined();
    expect(await zipNames(res.cleaned!)).toContain(object);
    expect(await findMarker(res.cleaned!, marker)).toEqual([]);

    const files = (await readZip(original)).members.filter((m) => !m.name.endsWith("/"));
    const parts = files.map((m): Part => [m.name, m.name === "content.xml" ? m.data.toString("utf8").replace(/<draw:frame\b.*?<\/draw:frame>/s, "") : m.data]);
    expect(parts.find(([n]) => n === "content.xml")![1]).not.toContain(object);
    const deleted = await removeViaApi(server, await savedIn(dir, "deleted-ole.odt", await zip(parts)));
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((deleted.body["removed"] as Record<string, number>)["unusedParts"]).toBe(1);
    expect(unusedPartsFinding(deleted.body)).toBe(object);
    expect((await zipNames(deleted.cleaned!)).filter((n) => n.includes(object!))).toEqual([]);
    expect(await member(deleted.cleaned!, "META-INF/manifest.xml")).not.toContain(object);
  });
});

/** A text document showing `object` (a compound file) as an OLE object, as a flat file LibreOffice converts into `Obj…`. */
function oleFodt(object: Buffer): string {
  return `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text><text:p>Sales<draw:frame draw:name="Sheet" svg:width="4cm" svg:height="3cm"><draw:object-ole draw:class-id="00020820-0000-0000-C000-000000000046"><office:binary-data>${object.toString("base64")}</office:binary-data></draw:object-ole></draw:frame></text:p></office:text></office:body></office:document>`;
}

/** A spreadsheet with a bar chart of its two cells, as a flat file LibreOffice converts into `Object 1/` and its replacement picture. */
const CHART_FODS = `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet><table:table table:name="S"><table:shapes><draw:frame draw:name="Chart1" svg:x="1cm" svg:y="3cm" svg:width="8cm" svg:height="5cm"><draw:object draw:notify-on-update-of-ranges="S.A1:S.B2"><office:document office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.chart"><office:body><office:chart><chart:chart chart:class="chart:bar" svg:width="8cm" svg:height="5cm"><chart:plot-area table:cell-range-address="S.A1:S.B2" chart:data-source-has-labels="none"><chart:series chart:values-cell-range-address="S.B1:S.B2" chart:class="chart:bar"/></chart:plot-area></chart:chart></office:chart></office:body></office:document></draw:object></draw:frame></table:shapes><table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>b</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document>`;
