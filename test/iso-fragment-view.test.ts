import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkIsoShape } from "../src/cleaners/media/iso-screen.js";
import { writeIsoView } from "../src/cleaners/media/iso-view.js";
import { exiftool, ffmpegQuiet, run } from "./helpers/tools.js";

/**
 * The view of a fragmented recording that ExifTool reads in its place (the screen writes it, see
 * fragmented-recordings.test.ts for the service): which parts it hides, and that ExifTool reads
 * the same tags from it as from the file.
 */

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-fragment-view-"));
});

afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** 3 s of video and sound fragmented per frame, with `flags` added to the fragmenting ones. */
async function recording(name: string, flags = ""): Promise<string> {
  const file = path.join(dir, name);
  await run("ffmpeg", [
    ...ffmpegQuiet,
    ...["-f", "lavfi", "-i", "testsrc=s=16x16:r=100:d=3", "-f", "lavfi", "-i", "sine=r=8000:d=3"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-metadata", "title=view-marker"],
    ...["-movflags", `frag_every_frame+empty_moov+default_base_moof${flags}`, file],
  ]);
  return file;
}

function topBoxes(data: Buffer): Array<{ at: number; size: number; type: string }> {
  const boxes = [];
  for (let at = 0; at + 8 <= data.length; at += data.readUInt32BE(at)) boxes.push({ at, size: data.readUInt32BE(at), type: data.toString("latin1", at + 4, at + 8) });
  return boxes;
}

/** ExifTool's tags as the service reads them, but those of the file system the service hides (name, folder, permissions, access dates). */
async function tags(file: string): Promise<Record<string, unknown>> {
  const [read] = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", "-api", "LargeFileSupport=1", file])) as Array<Record<string, unknown>>;
  return Object.fromEntries(Object.entries(read!).filter(([k]) => k !== "SourceFile" && !/^File:(FileName|Directory|FilePermissions|File(Access|InodeChange)Date)$/.test(k)));
}

async function viewOf(file: string) {
  const shape = await checkIsoShape(file, { hide: true });
  const view = `${file}.view`;
  await writeIsoView(file, view, shape.hidden);
  return { shape, view };
}

describe("a view of a fragmented recording for ExifTool", () => {
  it("hides each run of plain fragments but its last, and ExifTool reads the same tags, size and dates from it", async () => {
    const file = await recording("plain.mp4");
    const boxes = topBoxes(await fs.readFile(file));
    const moofs = boxes.filter((b) => b.type === "moof");
    const { shape, view } = await viewOf(file);
    expect(shape.hidden).toEqual([{ from: moofs[0]!.at, to: moofs.at(-1)!.at }]);
    expect((await fs.stat(view)).size).toBe((await fs.stat(file)).size);
    expect(await tags(view)).toEqual(await tags(file));
  }, 60_000);

  it("a segment's index boxes (sidx before each fragment) go with the fragment: the last one is read", async () => {
    const file = await recording("dash.mp4", "+dash");
    const boxes = topBoxes(await fs.readFile(file));
    const firstMoof = boxes.find((b) => b.type === "moof")!;
    const lastSidx = boxes.filter((b) => b.type === "sidx").at(-1)!;
    expect(boxes[boxes.indexOf(lastSidx) + 1]!.type).toBe("moof");
    const { shape, view } = await viewOf(file);
    expect(shape.hidden).toEqual([{ from: firstMoof.at, to: lastSidx.at }]);
    expect(await tags(view)).toEqual(await tags(file));
  }, 60_000);

  it("a fragment holding anything but sample tables, and a box between fragments, stay for ExifTool: the runs end there", async () => {
    const file = await recording("planted.mp4");
    const data = await fs.readFile(file);
    const moofs = topBoxes(data).filter((b) => b.type === "moof");
    const [inside, between] = [moofs[100]!, moofs[200]!];
    const udta = Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from("udtaview-box", "latin1")]);
    // A user data box inside the fragment, after its track fragment (which then no longer
    // points at its samples: only the walk and ExifTool read this file), and a uuid box between.
    const planted = Buffer.concat([data.subarray(inside.at, inside.at + inside.size), udta]);
    planted.writeUInt32BE(planted.length);
    const uuid = Buffer.concat([Buffer.from([0, 0, 0, 32]), Buffer.from("uuid", "latin1"), Buffer.alloc(16, 7), Buffer.from("view-box", "latin1")]);
    const marked = path.join(dir, "marked.mp4");
    await fs.writeFile(marked, Buffer.concat([data.subarray(0, inside.at), planted, data.subarray(inside.at + inside.size, between.at), uuid, data.subarray(between.at)]));
    const boxes = topBoxes(await fs.readFile(marked));
    const marks = boxes.filter((b) => b.type === "moof");
    const uuidBox = boxes.find((b) => b.type === "uuid")!;
    const { shape, view } = await viewOf(marked);
    // Before the planted fragment, from it to the uuid box (it starts a run of its own, not plain,
    // so the run after it starts with the next fragment), and after the uuid box.
    expect(shape.hidden).toEqual([
      { from: marks[0]!.at, to: marks[99]!.at },
      { from: marks[101]!.at, to: marks[199]!.at },
      { from: uuidBox.at + uuidBox.size, to: marks.at(-1)!.at },
    ]);
    const read = await tags(view);
    expect(read["QuickTime:Unknown_udta"]).toBeDefined();
    expect(read["QuickTime:UUID-Unknown"]).toBeDefined();
    expect(read).toEqual(await tags(marked));
  }, 60_000);
});
