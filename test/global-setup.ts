import { execFileSync } from "node:child_process";

/** Tests drive the real, compiled service (`bin/exifapi`) and its web page, so build both first. */
export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
}
