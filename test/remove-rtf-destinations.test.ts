import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePng } from "./helpers/make-images.js";
import { rtfPictures, rtfText } from "./helpers/make-rtf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { pixelSignature } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-rtf-destinations-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * An RTF written by hand as Word and LibreOffice write these parts: a style, a hyperlink field,
 * a bookmark, a footnote (LibreOffice's starred form), a Unicode text beside its ANSI form, a
 * picture shape with its name and alternative text and the properties that name a path and a
 * person; and ignorable destinations no reader knows, holding the marker: one in the body, one
 * inside a kept field instruction, one inside the footnote, and what some writers put there
 * (Word's XML namespace table and smart-tag markup, Outlook's encapsulated HTML, a protection
 * password hash); document and custom properties outside `\info` and `\userprops`, which
 * readers hide there too; an ignorable destination, a property and a comment's author met inside
 * a group rather than at its head, which readers take the rest of the group as; and a `\*` with
 * no destination word after it.
 */
function handWritten(marker: string, png: Buffer): string {
  const hex = marker.split("").map((c) => c.charCodeAt(0).toString(16)).join("");
  return [
    "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}}",
    "{\\stylesheet{\\s0 Normal;}{\\*\\cs10\\additive Default Paragraph Font;}}",
    `{\\*\\xmlnstbl {\\xmlns1 http://example.com/${marker}}}`,
    `{\\*\\passwordhash ${hex}}`,
    `{\\*\\exifapiprivate ${marker} private data}`,
    "\\pard\\plain Start words ",
    `{\\field{\\*\\fldinst HYPERLINK "https://example.com/" {\\*\\appdata ${marker} inside}}{\\fldrslt Link words}}`,
    ` {\\*\\bkmkstart Here}Marked words{\\*\\bkmkend Here}`,
    `{\\super\\chftn}{\\*\\footnote\\chftn\\pard\\plain Note words{\\*\\noteprivate ${marker} note}}`,
    ` {\\upr{Plain words}{\\*\\ud{Plain words}}}`,
    `{\\*\\xmlopen\\xmlns1{\\factoidname ${marker}person}}Smart words{\\*\\xmlclose}`,
    `{\\*\\htmltag84 <meta name="author" content="${marker}">}`,
    `{\\category ${marker} stray}{\\author ${marker} stray}`,
    ` {\\i Tilted words \\*\\midprivate ${marker} hidden} {\\b Heavy words \\title ${marker} title}`,
    `{\\*\\|emplate ${marker} path}{\\.\\atnauthor ${marker} person}{\\propname ${marker} name}`,
    "\\par",
    "{\\shp{\\*\\shpinst\\shpleft0\\shptop0\\shpright1440\\shpbottom1080\\shpwr3",
    "{\\sp{\\sn shapeType}{\\sv 75}}",
    `{\\sp{\\sn pib}{\\sv {\\pict\\pngblip\\picw32\\pich24 ${png.toString("hex")}}}}`,
    `{\\sp{\\sn pibName}{\\sv C:\\\\Users\\\\${marker}\\\\Pictures\\\\holiday.png}}`,
    `{\\sp{\\sn pibFlags}{\\sv 10}}`,
    `{\\sp{\\sn wzSigSetupSuggSigner}{\\sv ${marker} signer}}`,
    `{\\sp{\\sn wzSigSetupSuggSignerEmail}{\\sv ${marker}@example.com}}`,
    "{\\sp{\\sn wzName}{\\sv Picture 1}}",
    "{\\sp{\\sn wzDescription}{\\sv A harbour at dusk}}",
    "}}",
    "\\pard End words\\par}",
  ].join("\r\n");
}

describe("POST /api/v1/remove on RTF: ignorable destinations by allow-list", () => {
  it("unknown \\* destinations and shape properties naming a path or a person go; fields, bookmarks, footnotes, styles, Unicode text, pictures and alt text stay; the text reads the same", async () => {
    const marker = `RtfDest${crypto.randomBytes(5).toString("hex")}`;
    const pngFile = await makePng(await fs.mkdtemp(path.join(dir, "png-")), marker);
    const png = await fs.readFile(pngFile);
    const file = path.join(dir, "hand.rtf");
    await fs.writeFile(file, handWritten(marker, png), "latin1");

    const { status, body, cleaned } = await removeViaApi(server, file, "hand.rtf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // xmlnstbl, passwordhash, exifapiprivate, appdata, noteprivate, xmlopen, xmlclose, htmltag, midprivate, the `\*` with no word.
    expect((body["removed"] as Record<string, number>)["privateGroups"]).toBe(10);
    expect(await findMarker(cleaned!, marker)).toEqual([]);

    const text = cleaned!.toString("latin1");
    for (const kept of ["{\\*\\cs10", "{\\*\\fldinst HYPERLINK", "{\\*\\bkmkstart Here}", "{\\*\\bkmkend Here}", "{\\*\\footnote", "{\\*\\ud{Plain words}}", "{\\*\\shpinst", "{\\sn wzName}{\\sv Picture 1}", "{\\sn wzDescription}{\\sv A harbour at dusk}", "{\\sn pibFlags}"]) {
      expect(text, kept).toContain(kept);
    }
    expect(text).not.toMatch(/pibName|wzSigSetup|xmlnstbl|passwordhash|htmltag|xmlopen|xmlclose/);
    const [picture] = rtfPictures(cleaned!);
    const [originalPicture] = rtfPictures(await fs.readFile(file));
    const signature = async (p: Buffer): Promise<string> => {
      const f = path.join(dir, `p-${crypto.randomUUID()}.png`);
      await fs.writeFile(f, p);
      return pixelSignature(f);
    };
    expect(await signature(picture!)).toBe(await signature(originalPicture!));

    // LibreOffice, a reader apart from the cleaner, reads the same text in both.
    const after = await rtfText(dir, cleaned!);
    expect(after).toBe(await rtfText(dir, file));
    expect(after).toContain("Start words Link words Marked words");
    expect(after).toContain("Plain words");
    expect(after).toContain("Smart words");
    expect(after).toContain("Tilted words Heavy words");
  });

  it("with keep=trackedChanges, a formatting change's former properties stay (a known destination)", async () => {
    const marker = `RtfDest${crypto.randomBytes(5).toString("hex")}`;
    const file = path.join(dir, "changes.rtf");
    await fs.writeFile(file, `{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}{\\*\\revtbl{Unknown;}{${marker};}}{\\b\\crauth1\\crdate5{\\*\\oldcprops \\b0\\crauth1}Bold words}{\\*\\private ${marker}}\\par}`, "latin1");
    const { status, body, cleaned } = await removeViaApi(server, file, "changes.rtf", { keep: "trackedChanges" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["privateGroups"]).toBe(1);
    const text = cleaned!.toString("latin1");
    expect(text).toContain("{\\*\\oldcprops \\b0");
    expect(await findMarker(cleaned!, marker)).toEqual([]);
  });
});
