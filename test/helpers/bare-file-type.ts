import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { exiftool } from "./tools.js";

/** ExifTool's FileType of a copy of `file` without extension (made in `dir`), as the service reads files. */
export async function bareFileType(dir: string, file: string): Promise<string> {
  const bare = path.join(dir, `bare-${crypto.randomUUID()}`);
  await fs.copyFile(file, bare);
  return (await exiftool(["-s3", "-FileType", bare])).trim();
}
