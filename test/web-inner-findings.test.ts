import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handZip } from "./helpers/make-archives.js";
import { makeJpeg } from "./helpers/make-files.js";
import { makeOffice } from "./helpers/make-office.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * The web page in French shows findings about files inside a file with the inner file's name (the
 * API's English titles start with it; the French page used to show only the kind's sentence).
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
  it("name the inner file (a nested one by its path), and say in French how many were not looked into", async () => {
    const photo = await fs.readFile(await makeJpeg(dir, "holiday.jpg"));
    // The photo, a DOCX holding it and 65 more copies: some past the 64 files.
    const members = [
      { name: "photos/rome: été.jpg", data: photo },
      { name: "papers/report.docx", data: (await makeOffice("docx", "WebInnerMark", photo)).bytes },
      ...Array.from({ length: 65 }, (_, i) => ({ name: `more/p${i}.jpg`, data: photo })),
    ];
    const zip = path.join(dir, "bundle.zip");
    await fs.writeFile(zip, handZip(members));
    await page.goto(`${server.baseUrl}/`);
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    await page.fill("#api-key", server.apiKey);
    await page.locator("#file").setInputFiles(zip);
    await page.locator('.finding[data-kind="location"]').first().waitFor();
    const texts = await page.locator('.finding[data-kind="location"] .finding-text').allTextContents();
    expect(texts).toContain("Dans le fichier intégré « photos/rome: été.jpg » : Le fichier dit où il a été fait.");
    expect(texts).toContain("Dans le fichier intégré « papers/report.docx > word/media/image1.jpeg » : Le fichier dit où il a été fait.");
    expect(texts).toContain("Dans le fichier intégré « more/p0.jpg » : Le fichier dit où il a été fait.");
    const embedded = await page.locator('.finding[data-kind="embedded"] .finding-text').allTextContents();
    expect(embedded.filter((text) => /^\d+ fichier\(s\) intégré\(s\) n'ont pas été examinés : leurs métadonnées ne figurent pas ici\.$/.test(text)), JSON.stringify(embedded)).toHaveLength(1);
    // In English, the API's own sentence.
    await page.click("#lang-switch");
    expect(await page.locator('.finding[data-kind="location"] .finding-text').first().textContent()).toBe("photos/rome: été.jpg: The file gives the GPS position where it was made.");
  });
});
