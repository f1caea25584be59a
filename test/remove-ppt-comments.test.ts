import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/**
 * PowerPoint 97-2003 review comments (fixture from Apache Tika, see fixtures/ppt/README.md): their
 * text goes unless kept, their author and initials (also in the presentation's list of comment
 * authors) and their dates go always. ExifTool reads none of them: on main the cleaned copy kept
 * all of it, with `remaining` empty; and until they were looked for by the service the findings
 * of extract and remove did not tell of them.
 */

const FIXTURE = path.join(import.meta.dirname, "fixtures", "ppt", "comment.ppt");
const AUTHOR = "Michael McCandless";
const TEXT = "Here is a comment";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ppt-comments-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The date (a SYSTEMTIME) of each comment's Comment10Atom in the presentation's stream. */
function commentDates(ppt: Buffer): Buffer[] {
  const doc = CFB.read(ppt, { type: "buffer" });
  const entry = CFB.find(doc, "PowerPoint Document");
  const stream = Buffer.from(entry!.content as Uint8Array);
  const header = Buffer.from([0x00, 0x00, 0xe1, 0x2e, 28, 0, 0, 0]);
  const dates: Buffer[] = [];
  for (let at = stream.indexOf(header); at >= 0; at = stream.indexOf(header, at + 1)) dates.push(stream.subarray(at + 12, at + 28));
  return dates;
}

/** The slides' text as LibreOffice draws the presentation (converted to PDF, read by pdftotext). */
async function slideText(file: string): Promise<string> {
  const work = await fs.mkdtemp(path.join(dir, "text-"));
  await fs.copyFile(file, path.join(work, "deck.ppt"));
  await soffice(work, ["--convert-to", "pdf", "--outdir", work, path.join(work, "deck.ppt")]);
  return (await run("pdftotext", [path.join(work, "deck.pdf"), "-"])).stdout.toString("utf8");
}

interface Finding {
  kind: string;
  severity: string;
  title: string;
  value?: string;
}

/** The review-comment findings of extract's answer on `data`. */
async function commentFindings(data: Buffer): Promise<Finding[]> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "deck.ppt", data }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { findings: Finding[] }).findings.filter((f) => /review comment/.test(f.title));
}

describe("PowerPoint 97-2003 comments", () => {
  it("are told of as hidden content naming their author, by extract and remove, and not in the cleaned copy", async () => {
    const told = [{ kind: "hidden", severity: "high", title: "The presentation holds 1 review comment(s).", tags: [], value: AUTHOR }];
    expect(await commentFindings(await fs.readFile(FIXTURE))).toEqual(told);
    const { status, body, cleaned } = await removeViaApi(server, FIXTURE);
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["findings"] as Finding[]).filter((f) => /review comment/.test(f.title))).toEqual(told);
    expect(await commentFindings(cleaned!)).toEqual([]);
  }, 60_000);

  it("are blanked: the text, the author and initials, the date; the slides read the same", async () => {
    for (const s of [AUTHOR, TEXT, "MM"]) expect(await findMarker(FIXTURE, s), s).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, FIXTURE);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["comments"]).toBe(1);
    expect(await findMarker(cleaned!, AUTHOR)).toEqual([]);
    expect(await findMarker(cleaned!, TEXT)).toEqual([]);
    expect(commentDates(await fs.readFile(FIXTURE)).map((d) => d.equals(Buffer.alloc(16)))).toEqual([false]);
    expect(commentDates(cleaned!).map((d) => d.equals(Buffer.alloc(16)))).toEqual([true]);
    const file = path.join(dir, "cleaned.ppt");
    await fs.writeFile(file, cleaned!);
    const text = await slideText(FIXTURE);
    expect(text.trim()).not.toBe("");
    expect(await slideText(file)).toBe(text);
  }, 120_000);

  it("keep=comments keeps their text, not their author", async () => {
    const { status, body, cleaned } = await removeViaApi(server, FIXTURE, "comment.ppt", { keep: "comments" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["comments"]).toBeUndefined();
    expect(await findMarker(cleaned!, TEXT)).not.toEqual([]);
    expect(await findMarker(cleaned!, AUTHOR)).toEqual([]);
  }, 60_000);
});
