import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTempSpace, type TempSpace } from "../src/intake/temp-space.js";

let dataDir: string;
let temp: TempSpace;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-temp-space-"));
  temp = (await createTempSpace(dataDir)).space;
});
afterAll(async () => {
  await temp.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("temp space folders", () => {
  it("removes an empty work folder, one a stopped task left files in, and one already gone", async () => {
    const empty = temp.newPath();
    await fs.mkdir(empty);
    await temp.removeDir(empty);

    const leftover = temp.newPath();
    await fs.mkdir(path.join(leftover, "c0-task", "inner"), { recursive: true });
    await fs.writeFile(path.join(leftover, "c0-task", "inner", "part"), "scratch");
    await fs.writeFile(path.join(leftover, "preview0.jpg"), "scratch");
    await temp.removeDir(leftover);

    await temp.removeDir(temp.newPath());
    expect(await fs.readdir(temp.dir)).toEqual([]);
  });
});
