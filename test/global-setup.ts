import { execFileSync } from "node:child_process";

/** Tests drive the real, compiled service (`bin/exifapi`), so compile the current sources first. */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
}
