import { type Browser, chromium } from "playwright-core";

/**
 * Debian's headless Chromium, as the web page's tests drive it. The machine has no network: these
 * flags keep Chromium from dialling out on its own.
 */
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}
