import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let server: RunningServer;
let browser: Browser;
let page: Page;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-web-inner-"));
  server = await startServer();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("the French page's findings about files inside a file", () => {
  it("name the inner file (a nested one by its path), group the files that give away the same, and say in French how many were not looked into", async () => {
    const photo = await fs.readFile(await makeJpeg(dir, "holiday.jpg"));
    const elsewhere = await makeJpeg(dir, "elsewhere.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-GPSLatitude=40.7128", elsewhere]);
    // The photo, a DOCX holding it (as its picture and its thumbnail), a photo taken elsewhere, and
    // 65 more copies of the first: some past the 64 files.
    const more = Array.from({ length: 65 }, (_, i) => `more/p${i}.jpg`);
    const members = [
      { name: "photos/rome: été.jpg", data: photo },
      { name: "papers/report.docx", data: (await makeOffice("docx", "WebInnerMark", photo)).bytes },
      { name: "photos/new york.jpg", data: await fs.readFile(elsewhere) },
      ...more.map((name) => ({ name, data: photo })),
    ];
    const zip = path.join(dir, "bundle.zip");
    await fs.writeFile(zip, handZip(members));
    await page.goto(`${server.baseUrl}/`);
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    await page.fill("#api-key", server.apiKey);
    await page.locator("#file").setInputFiles(zip);
    await page.locator('.finding[data-kind="location"]').first().waitFor();
    const texts = await page.locator('.finding[data-kind="location"] .finding-text').allTextContents();
    expect(texts, JSON.stringify(texts)).toHaveLength(2);
    expect(texts).toContain("Dans le fichier intégré « photos/new york.jpg » : Le fichier dit où il a été fait.");
    // The copies of the photo that were looked into, nested ones too, give the same position: one sentence names them all.
    const grouped = texts.map((text) => /^Dans (\d+) fichiers intégrés \((.+)\) : Le fichier dit où il a été fait\.$/.exec(text)).find((m) => m != null);
    expect(grouped, JSON.stringify(texts)).not.toBeUndefined();
    const names = grouped![2]!.split(", ");
    expect(names).toHaveLength(Number(grouped![1]));
    const inDocx = ["papers/report.docx > docProps/thumbnail.jpeg", "papers/report.docx > word/media/image1.jpeg"];
    expect(names).toEqual(["photos/rome: été.jpg", ...inDocx, ...more.slice(0, names.length - 3)]);
    const embedded = await page.locator('.finding[data-kind="embedded"] .finding-text').allTextContents();
    const notLooked = embedded.map((text) => /^(\d+) fichier\(s\) intégré\(s\) n'ont pas été examinés : leurs métadonnées ne figurent pas ici\.$/.exec(text)).filter((m) => m != null);
    expect(notLooked, JSON.stringify(embedded)).toHaveLength(1);
    // Every copy of the photo is either among the grouped files or counted as not looked into.
    expect(names.length + Number(notLooked[0]![1])).toBe(1 + inDocx.length + more.length);
    // In English, the API's own sentences.
    await page.click("#lang-switch");
    const english = await page.locator('.finding[data-kind="location"] .finding-text').allTextContents();
    expect(english).toContain(`${names.length} files inside (${names.join(", ")}): The file gives the GPS position where it was made.`);
    expect(english).toContain("photos/new york.jpg: The file gives the GPS position where it was made.");
  });
});
