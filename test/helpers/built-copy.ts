import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./server.js";

/**
 * A copy of this checkout's built service (dist, bin, scripts, package.json; node_modules linked)
 * in a new temp folder, for a test that alters its modules; `startServer(env, { root })` runs it.
 */
export async function copyOfBuild(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-built-copy-"));
  for (const part of ["dist", "bin", "scripts"]) await fs.cp(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  await fs.copyFile(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
  await fs.symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Makes one ES module of a built copy fail to link: it imports a name its own file does not export. */
export async function breakModule(root: string, module: string): Promise<void> {
  const file = path.join(root, module);
  await fs.writeFile(file, `import { notExported } from "./${path.basename(file)}"; void notExported;\n${await fs.readFile(file, "utf8")}`);
}

/** Takes a check out of one module of a built copy: its text `from`, which must occur once, becomes `to`. */
export async function breakGuard(root: string, module: string, from: string, to: string): Promise<void> {
  const file = path.join(root, module);
  const text = await fs.readFile(file, "utf8");
  if (text.split(from).length !== 2) throw new Error(`${module} does not hold ${JSON.stringify(from)} once`);
  await fs.writeFile(file, text.replace(from, to));
}
