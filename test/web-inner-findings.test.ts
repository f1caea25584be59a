import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { handZip } from "./helpers/make-archives.js";
import { makeJpeg } from "./helpers/make-files.js";
import { makeOffice } from "./helpers/make-office.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { EXIFTOOL, run } from "./helpers/tools.js";

/**
 * The web page in French shows findings about files inside a file with the inner file's name (the
 * API's English titles start with it; the French page used to show only the kind's sentence), or
 * with the count and names of the inner files when several give away the same.
 */

let server: RunningServer;
let browser: Browser;
let page: Page;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-web-inner-"));
  server = await startServer();
  browser = await launchChromium();
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("the French page's findings about files inside a file", () => {
  it("name the inner file (a nested one by its path), group the files that give away the same (many names in a box that opens), and say in French how many were not looked into", async () => {
    const photo = await fs.readFile(await makeJpeg(dir, "holiday.jpg"));
    const [inDocx, elsewhere] = [await makeJpeg(dir, "in-docx.jpg"), await makeJpeg(dir, "elsewhere.jpg")];
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-GPSLatitude=40.7128", inDocx]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-GPSLatitude=35.6762", elsewhere]);
    // The photo, a DOCX holding another (as its picture and its thumbnail), a third photo, and
    // 65 more copies of the first: some past the 64 files.
    const more = Array.from({ length: 65 }, (_, i) => `more/p${i}.jpg`);
    const members = [
      { name: "photos/rome: été.jpg", data: photo },
      { name: "papers/report.docx", data: (await makeOffice("docx", "WebInnerMark", await fs.readFile(inDocx))).bytes },
      { name: "photos/tokyo.jpg", data: await fs.readFile(elsewhere) },
      ...more.map((name) => ({ name, data: photo })),
    ];
    const zip = path.join(dir, "bundle.zip");
    await fs.writeFile(zip, handZip(members));
    await page.goto(`${server.baseUrl}/`);
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    await page.fill("#api-key", server.apiKey);
    await page.locator("#file").setInputFiles(zip);
    await page.locator('.finding[data-kind="location"]').first().waitFor();
    const cards = page.locator('.finding[data-kind="location"]');
    const texts = await cards.locator(".finding-text").allTextContents();
    expect(texts, JSON.stringify(texts)).toHaveLength(3);
    expect(texts).toContain("Dans le fichier intégré « photos/tokyo.jpg » : Le fichier dit où il a été fait.");
    // The DOCX's picture and thumbnail give one position: the sentence names both.
    const docxNames = ["papers/report.docx > docProps/thumbnail.jpeg", "papers/report.docx > word/media/image1.jpeg"];
    expect(texts).toContain(`Dans 2 fichiers intégrés (${docxNames.join(", ")}) : Le fichier dit où il a été fait.`);
    // The copies of the photo that were looked into give another: the sentence says how many, their names open below it.
    const grouped = texts.map((text) => /^Dans (\d+) fichiers intégrés : Le fichier dit où il a été fait\.$/.exec(text)).find((m) => m != null);
    expect(grouped, JSON.stringify(texts)).not.toBeUndefined();
    const box = cards.locator(".inner-files");
    expect(await box.count()).toBe(1);
    expect(await box.locator("summary").textContent()).toBe("Leurs noms");
    expect(await box.locator("p").isVisible()).toBe(false);
    await box.locator("summary").click();
    expect(await box.locator("p").isVisible()).toBe(true);
    const names = (await box.locator("p").textContent())!.split(", ");
    expect(names).toHaveLength(Number(grouped![1]));
    expect(names).toEqual(["photos/rome: été.jpg", ...more.slice(0, names.length - 1)]);
    const embedded = await page.locator('.finding[data-kind="embedded"] .finding-text').allTextContents();
    const notLooked = embedded.map((text) => /^(\d+) fichier\(s\) intégré\(s\) n'ont pas été examinés : leurs métadonnées ne figurent pas ici\.$/.exec(text)).filter((m) => m != null);
    expect(notLooked, JSON.stringify(embedded)).toHaveLength(1);
    // Every copy of the photo is either among the grouped files or counted as not looked into.
    expect(names.length + Number(notLooked[0]![1])).toBe(1 + more.length);
    // In English, the API's own sentences; the long list of names in its box.
    await page.click("#lang-switch");
    const english = await page.locator('.finding[data-kind="location"] .finding-text').allTextContents();
    expect(english).toContain("photos/tokyo.jpg: The file gives the GPS position where it was made.");
    expect(english).toContain(`2 files inside (${docxNames.join(", ")}): The file gives the GPS position where it was made.`);
    expect(english).toContain(`${names.length} files inside: The file gives the GPS position where it was made.`);
    expect(await page.locator('.finding[data-kind="location"] .inner-files summary').textContent()).toBe("Their names");
  });
});
