import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { makeJpeg } from "./helpers/make-files.js";
import { makeReviewed } from "./helpers/make-office-review.js";
import { findMarker } from "./helpers/marker-scan.js";
import { ROOT, type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

/**
 * The web page at `/`, driven in Debian's headless Chromium as a person would use it.
 */
const SHOTS = path.join(ROOT, "test-results");

let server: RunningServer;
let browser: Browser;
let page: Page;
let dir: string;
let jpeg: string;
/** The cleaned copy's link, read again later as a URL source. */
let downloadUrl = "";
/** Console errors and uncaught exceptions of the page, as Chromium reports them. */
const consoleErrors: string[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-web-"));
  await fs.mkdir(SHOTS, { recursive: true });
  // Private URLs allowed so that the page can be given the service's own download link as a URL.
  [server, jpeg] = await Promise.all([startServer({ ALLOW_PRIVATE_URLS: "true" }), makeJpeg(dir, "holiday.jpg")]);
  browser = await launchChromium();
  const context = await browser.newContext({ locale: "en-US", acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Rows of the metadata tables that the filter leaves visible. */
const visibleRows = (p: Page) => p.locator("#groups section.group:not([hidden]) tbody tr:not([hidden])");

describe("the web page", () => {
  it("is served at / under a strict Content-Security-Policy", async () => {
    const response = await page.goto(`${server.baseUrl}/`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    await expect(page.locator("h1").textContent()).resolves.toBe("What does your file give away?");
    expect(await page.getAttribute("html", "lang")).toBe("en");
  });

  it("reads a JPEG chosen with the keyboard: GPS with a map link, the author, the serial number, then filters the tables", async () => {
    await page.fill("#api-key", server.apiKey);
    // From the key's button, Tab reaches the file input. Opening the system dialog with Space is
    // Chromium's own behaviour, not the page's, and under load headless Chromium sometimes never
    // raises the dialog event: the file is given to the focused input directly.
    await page.focus("#key-forget");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("file");
    await page.locator("#file").setInputFiles(jpeg);
    // The findings are the API's, in its order: most serious first.
    const gps = page.locator('.finding[data-kind="location"]');
    await gps.waitFor();
    expect(await gps.getAttribute("data-severity")).toBe("high");
    expect(await gps.locator(".coords").textContent()).toContain("48.858");
    const href = await gps.locator("a.map-link").getAttribute("href");
    expect(href).toMatch(/^https:\/\/www\.openstreetmap\.org\/\?mlat=48\.858\d*&mlon=2\.294\d*/);
    expect(await gps.locator(".finding-text").textContent()).toBe("The file gives the GPS position where it was made.");
    expect(await page.locator('.finding[data-kind="people"]').textContent()).toContain("John Doe");
    expect(await page.locator('.finding[data-kind="device"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("SN-12345")]));
    expect(await page.locator('.finding[data-kind="software"]').textContent()).toContain("ExampleEditor 2.1");
    // The 16x16 green thumbnail is not the red-blue gradient: the API calls it serious.
    expect(await page.locator('.finding[data-kind="previews"]').getAttribute("data-severity")).toBe("high");
    const rank = { high: 0, medium: 1, low: 2 } as Record<string, number>;
    const severities = (await page.locator(".finding").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-severity") ?? ""))).map((s) => rank[s] ?? 9);
    expect(severities.length).toBeGreaterThanOrEqual(5);
    expect(severities).toEqual([...severities].sort((a, b) => a - b));
    expect(await page.locator("#file-summary").textContent()).toContain("holiday.jpg");
    // Groups as sections, GPS on its own, with counts.
    for (const id of ["exif", "gps", "iptc", "xmp", "File"]) {
      expect(await page.locator(`#group-${id}`).count(), id).toBe(1);
    }
    const total = await visibleRows(page).count();
    expect(total).toBeGreaterThan(20);
    await page.screenshot({ path: path.join(SHOTS, "web-page-1-read.png"), fullPage: true });

    await page.fill("#filter", "artist");
    const rows = visibleRows(page);
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    expect(await rows.count()).toBeLessThan(total);
    for (const text of await rows.allTextContents()) expect(text.toLowerCase()).toContain("artist");
    expect(await page.locator("#filter-count").textContent()).toMatch(new RegExp(`of ${total} tags`));
    expect(await page.locator("#group-iptc").isHidden()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, "web-page-2-filtered.png"), fullPage: true });
    await page.fill("#filter", "");
    expect(await visibleRows(page).count()).toBe(total);
  });

  it("removes the metadata with one button and downloads a file that has none left", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#remove")]);
    const saved = path.join(dir, "downloaded.jpg");
    await download.saveAs(saved);
    downloadUrl = download.url();
    expect(download.suggestedFilename()).toBe("holiday.jpg");
    await page.locator(".removal").waitFor();
    expect(await page.locator(".removed-list").textContent()).toMatch(/EXIF: \d+ tags/);
    await expect(page.locator(".remaining-none").isVisible()).resolves.toBe(true);

    const groups = JSON.parse(await exiftool(["-j", "-G0", "-a", "-u", saved])) as Array<Record<string, unknown>>;
    const left = Object.keys(groups[0] ?? {}).filter((k) => /^(EXIF|IPTC|XMP|MakerNotes|Photoshop|ICC_Profile):/.test(k));
    expect(left).toEqual([]);
    expect(await findMarker(saved, "John Doe")).toEqual([]);
    expect(await findMarker(saved, "SN-12345")).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, "web-page-3-removed.png"), fullPage: true });
  });

  it("keeps the copyright when asked, and only it", async () => {
    await page.check("#keep-copyright");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#remove")]);
    const saved = path.join(dir, "downloaded-rights.jpg");
    await download.saveAs(saved);
    await page.locator(".remaining-list").first().waitFor();
    const remaining = (await page.locator(".remaining-list").allTextContents()).join(" ");
    expect(remaining).toContain("Artist: John Doe");
    expect(remaining).toContain("CopyrightNotice: © 2024");
    expect(await findMarker(saved, "John Doe")).not.toEqual([]);
    expect(await findMarker(saved, "SN-12345")).toEqual([]);
    await page.uncheck("#keep-copyright");
  });

  it("switches to French and back, results included", async () => {
    await page.click("#lang-switch");
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    expect(await page.locator("h1").textContent()).toBe("Que révèle votre fichier ?");
    expect(await page.locator("#findings-title").textContent()).toBe("Ce que ce fichier révèle");
    expect(await page.locator('.finding[data-kind="people"] h3').textContent()).toBe("Personnes");
    expect(await page.locator('.finding[data-kind="location"] .finding-text').textContent()).toBe("Le fichier dit où il a été fait.");
    expect(await page.locator('.finding[data-kind="previews"] h3').textContent()).toBe("Vignettes et aperçus");
    expect(await page.locator('.finding[data-kind="previews"] .severity').textContent()).toBe("sérieux");
    expect(await page.locator("fieldset.keep legend").textContent()).toBe("Garder");
    expect(await page.locator("#remove").textContent()).toBe("Supprimer les métadonnées et télécharger");
    await page.screenshot({ path: path.join(SHOTS, "web-page-4-french.png"), fullPage: true });
    // The choice is remembered.
    await page.reload();
    expect(await page.locator("h1").textContent()).toBe("Que révèle votre fichier ?");
  });

  it("reads a file given by its address: the cleaned copy gives nothing away", async () => {
    // The key comes back from the browser's storage after the reload of the previous test.
    expect(await page.inputValue("#api-key")).toBe(server.apiKey);
    await page.fill("#url", downloadUrl);
    await page.press("#url", "Enter");
    await page.locator("#findings > p.muted").waitFor();
    expect(await page.locator("#findings").textContent()).toContain("Rien n'a été trouvé");
    expect(await page.locator("#group-exif").count()).toBe(0);
    expect(await page.locator("#file-summary").textContent()).toContain("holiday.jpg");
  });

  it("names the hidden content a removal took out, in both languages, apart from the tag counts", async () => {
    const markers = { comment: "WEBCOMMENTZQ", author: "WEBAUTHORZQ", deleted: "WEBDELETEDZQ", inserted: "WEBINSERTEDZQ" };
    const reviewed = await makeReviewed("docx", markers);
    const file = path.join(dir, "review.docx");
    await fs.writeFile(file, reviewed.bytes);
    await page.setInputFiles("#file", file);
    await page.locator('.finding[data-kind="hidden"]').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#remove")]);
    const saved = path.join(dir, "downloaded-review.docx");
    await download.saveAs(saved);
    await page.locator(".removal").waitFor();
    // The page is in French since the language test.
    const comments = page.locator('.removed-list li.hidden-content[data-key="comments"]');
    expect(await comments.textContent()).toBe(`Commentaires de relecture : ${reviewed.comments}`);
    expect(await page.locator('.removed-list li.hidden-content[data-key="trackedChanges"]').textContent()).toBe(`Modifications suivies, acceptées dans le texte : ${reviewed.trackedChanges}`);
    // Hidden content first, then the tag groups with their counts.
    const items = await page.locator(".removed-list li").allTextContents();
    expect(items.length).toBeGreaterThan(2);
    const firstGroup = items.findIndex((text) => / balises?$/.test(text));
    expect(firstGroup).toBe(2);
    await page.click("#lang-switch");
    expect(await comments.textContent()).toBe(`Review comments: ${reviewed.comments}`);
    await page.screenshot({ path: path.join(SHOTS, "web-page-7-hidden-content.png"), fullPage: true });
    for (const marker of [markers.comment, markers.author, markers.deleted]) expect(await findMarker(saved, marker), marker).toEqual([]);
  });

  it("serves browsable API docs at /docs that load nothing from other hosts", async () => {
    const docs = await page.context().newPage();
    const foreign: string[] = [];
    docs.on("request", (r) => {
      if (!r.url().startsWith(server.baseUrl) && !r.url().startsWith("data:")) foreign.push(r.url());
    });
    await docs.goto(`${server.baseUrl}/docs`);
    await docs.locator(".opblock").first().waitFor();
    expect(await docs.locator(".opblock").count()).toBeGreaterThanOrEqual(9);
    expect(foreign).toEqual([]);
    await docs.screenshot({ path: path.join(SHOTS, "web-page-6-docs.png") });
    await docs.close();
  });

  it("has raised no console error so far", () => {
    expect(consoleErrors).toEqual([]);
  });

  it("shows the API's own sentence when the key is wrong, and keeps the key out of every URL", async () => {
    const urls: string[] = [];
    page.on("request", (r) => urls.push(r.url()));
    await page.fill("#api-key", "exk_wrong");
    await page.setInputFiles("#file", jpeg);
    const error = page.locator("#error");
    await error.waitFor();
    expect(await error.textContent()).toBe("Invalid API key");
    expect(urls.some((u) => u.includes("exk_"))).toBe(false);
    expect(await page.evaluate(() => localStorage.getItem("exifapi.apiKey"))).toBe("exk_wrong");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, "web-page-5-error-phone.png"), fullPage: true });
    // Chromium itself logs the refused request; nothing else may appear.
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
