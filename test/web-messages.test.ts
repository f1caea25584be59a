import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { encryptedOpenDocument } from "./helpers/make-encrypted-office.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * The page's box of `warnings` holds the service's own sentences as well as ExifTool's: its title
 * must not say they all come from ExifTool.
 */

let server: RunningServer;
let browser: Browser;
let page: Page;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-web-messages-"));
  server = await startServer();
  browser = await launchChromium();
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("the web page's messages about a file", () => {
  it("show the service's own sentence under a title that does not say ExifTool, in English and French", async () => {
    const odt = path.join(dir, "locked.odt");
    await fs.writeFile(odt, await encryptedOpenDocument("odt"));
    await page.goto(`${server.baseUrl}/`);
    await page.fill("#api-key", server.apiKey);
    await page.locator("#file").setInputFiles(odt);
    const box = page.locator("#warnings");
    await box.locator("li").first().waitFor({ state: "attached" });
    expect(await box.isVisible()).toBe(true);
    const messages = await box.locator("li").allTextContents();
    // The service's own sentence (the document is encrypted). ExifTool's about the encrypted meta.xml
    // comes or not depending on the random ciphertext, so it is not counted on.
    expect(messages.some((m) => m.startsWith("The document is encrypted")), JSON.stringify(messages)).toBe(true);
    expect(await box.locator("summary").textContent()).toBe("Messages about the file");
    await page.click("#lang-switch");
    expect(await box.locator("summary").textContent()).toBe("Messages sur le fichier");
  });
});
