import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/** `data` written into `dir` under a fresh name ending in `name` (the service sees the name as the client's); its path. */
export async function savedIn(dir: string, name: string, data: Buffer | string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, data);
  return file;
}
