import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetServicePeakRss, servicePeakRssKb } from "./helpers/fuzz-proc.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;
const MARKER = `Submark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-subtitles-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * The cues as ffmpeg's WebVTT reader reads them, written out as SRT: what a player shows, and when.
 * Its STYLE blocks are left out of what ffmpeg is given: Debian's ffmpeg 5 reads no cue after one.
 */
async function cuesOf(vtt: Buffer): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}.vtt`);
  await fs.writeFile(file, vtt.toString("utf8").replace(/\r?\nSTYLE\r?\n[^]*?\r?\n\r?\n/g, "\n"));
  return (await run("ffmpeg", ["-v", "error", "-i", file, "-f", "srt", "-"])).stdout.toString("utf8");
}

/** Subtitles as an editor saves them: a title after the signature, header fields, notes, a style, cues. */
const WEBVTT = [
  `WEBVTT - Holiday, subtitled by ${MARKER}`,
  "Kind: captions",
  `Author: ${MARKER}`,
  "X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000",
  "",
  `NOTE Timed by ${MARKER} at home`,
  "",
  "STYLE",
  "::cue { color: yellow }",
  "",
  "intro",
  "00:00:01.000 --> 00:00:03.500 line:0",
  "Hello there,",
  "<i>friend</i>",
  "",
  "NOTE",
  `reviewed by ${MARKER}`,
  "",
  "00:00:04.000 --> 00:00:06.000",
  "See you — à bientôt",
  "",
].join("\r\n");

describe("POST /api/v1/remove on a WebVTT subtitle file", () => {
  it("drops the title, the header fields and the notes; every cue, the style and HLS's timestamp map stay", async () => {
    const file = await savedIn(dir, "holiday.vtt", WEBVTT);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("TXT");
    const { status, body, cleaned } = await removeViaApi(server, file, "holiday.vtt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ comments: 2, subtitleHeaders: 3 });
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const text = cleaned!.toString("utf8");
    expect(text.startsWith("WEBVTT\r\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\r\n\r\nSTYLE\r\n::cue { color: yellow }\r\n")).toBe(true);
    const cues = await cuesOf(await fs.readFile(file));
    expect(cues).toContain("See you — à bientôt");
    expect(await cuesOf(cleaned!)).toBe(cues);
  });

  it("keeps the notes with keep=comments", async () => {
    const file = await savedIn(dir, "holiday.vtt", WEBVTT);
    const { status, body, cleaned } = await removeViaApi(server, file, "holiday.vtt", { keep: "comments" });
    expect(status, JSON.stringify(body)).toBe(200);
    const text = cleaned!.toString("utf8");
    expect(text).toContain(`NOTE Timed by ${MARKER} at home`);
    expect(text).not.toContain(`Author: ${MARKER}`);
  });

  it("cleans 15 MB of millions of empty notes with the service under 450 MB and answering", async () => {
    const file = await savedIn(dir, "notes.vtt", `WEBVTT\n\n${"NOTE\n\n".repeat(2_600_000)}00:00:01.000 --> 00:00:02.000\nHello\n`);
    const pid = server.process.pid!;
    await resetServicePeakRss(pid);
    const health: number[] = [];
    let done = false;
    const probe = (async () => {
      while (!done) {
        const t0 = performance.now();
        expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
        health.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const { status, body, cleaned } = await removeViaApi(server, file, "notes.vtt");
    done = true;
    await probe;
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ comments: 2_600_000 });
    expect(cleaned!.toString("utf8")).toBe("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n");
    expect(Math.max(...health)).toBeLessThan(1000);
    // An array of its lines took the service to ~745 MB.
    expect((await servicePeakRssKb(pid)) / 1024).toBeLessThan(450);
  }, 60_000);

  it("refuses, losing no cue, a file whose first cue follows its WEBVTT line without a blank line", async () => {
    const file = await savedIn(dir, "bad.vtt", "WEBVTT\n00:00:01.000 --> 00:00:02.000\nHello\n");
    const { status, body } = await removeViaApi(server, file, "bad.vtt");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The WebVTT file is damaged: a cue follows its WEBVTT line without a blank line between them.");
  });
});

describe("POST /api/v1/remove on SRT subtitles", () => {
  it("refuses a drone's flight log written as SRT, each cue a position, naming what it is", async () => {
    const cue = (i: number): string => `${i}\n00:00:0${i},000 --> 00:00:0${i + 1},000\nF/2.8, SS 1000, ISO 100 [latitude: 48.85${i}400] [longitude: 2.29${i}500] [rel_alt: 35.0]\n`;
    const file = await savedIn(dir, "DJI_0001.SRT", [1, 2, 3, 4].map(cue).join("\n"));
    const { status, body } = await removeViaApi(server, file, "DJI_0001.SRT");
    expect(status).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (drone or dash cam telemetry (SRT))");
  });

  it("hands back a film's subtitles byte for byte, a place named now and then", async () => {
    const text = "1\n00:00:01,000 --> 00:00:02,000\nWe land in Paris at noon.\n\n2\n00:00:03,000 --> 00:00:04,000\nMeet me at 48.8584, 2.2945.\n\n3\n00:00:05,000 --> 00:00:06,000\nFine.\n\n4\n00:00:07,000 --> 00:00:08,000\nSee you.\n";
    const file = await savedIn(dir, "film.srt", text);
    const { status, body, cleaned } = await removeViaApi(server, file, "film.srt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.equals(Buffer.from(text, "utf8"))).toBe(true);
  });
});

/** A script as Aegisub saves it: the author's fields, comment lines, its project section with the author's paths, a commented-out event. */
const ASS_SCRIPT = [
  "[Script Info]",
  "; Script generated by Aegisub 3.2.2",
  `; ${MARKER}`,
  "Title: Holiday",
  `Original Script: ${MARKER}`,
  "ScriptType: v4.00+",
  "PlayResX: 1920",
  "PlayResY: 1080",
  "",
  "[Aegisub Project Garbage]",
  `Audio File: C:/Users/${MARKER}/Videos/holiday.mkv`,
  `Video File: C:/Users/${MARKER}/Videos/holiday.mkv`,
  "",
  "[V4+ Styles]",
  "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
  "Style: Default,Arial,48,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1",
  "",
  "[Events]",
  "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
  `Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,timed by ${MARKER}`,
  "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,Hello there",
  "Dialogue: 0,0:00:04.00,0:00:06.00,Default,,0,0,0,,{\\i1}See you{\\i0} — à bientôt",
  "",
].join("\r\n");

/** The events as ffmpeg's ASS reader reads them, written out as SRT: what a player shows, and when. */
async function assEventsOf(script: Buffer): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}.ass`);
  await fs.writeFile(file, script);
  return (await run("ffmpeg", ["-v", "error", "-i", file, "-f", "srt", "-"])).stdout.toString("utf8");
}

describe("POST /api/v1/remove on an ASS subtitle script", () => {
  it.each([
    ["holiday.ass", "URL"],
    ["holiday.txt", "TXT"],
  ])("named %s (ExifTool: %s) loses the author's fields, comment lines, Aegisub's paths and commented-out events; the dialogue stays", async (name, type) => {
    const file = await savedIn(dir, name, ASS_SCRIPT);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe(type);
    const { status, body, cleaned } = await removeViaApi(server, file, name);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ comments: 1, subtitleHeaders: 7 });
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const text = cleaned!.toString("utf8");
    expect(text).toContain("[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 1920\r\nPlayResY: 1080\r\n");
    const events = await assEventsOf(Buffer.from(ASS_SCRIPT, "utf8"));
    expect(events).toContain("à bientôt");
    expect(await assEventsOf(cleaned!)).toBe(events);
  });

  it("cleans 15 MB of millions of comment lines with the service under 450 MB", async () => {
    const dialogue = "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,Hello";
    const file = await savedIn(dir, "notes.ass", `[Script Info]\n${";\n".repeat(7_800_000)}[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n${dialogue}\n`);
    const pid = server.process.pid!;
    await resetServicePeakRss(pid);
    const { status, body, cleaned } = await removeViaApi(server, file, "notes.ass");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ subtitleHeaders: 7_800_000 });
    expect(cleaned!.toString("utf8")).toContain(dialogue);
    // Arrays of its lines took the service to ~650 MB.
    expect((await servicePeakRssKb(pid)) / 1024).toBeLessThan(450);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  }, 60_000);

  it("keeps the commented-out events with keep=comments", async () => {
    const file = await savedIn(dir, "holiday.ass", ASS_SCRIPT);
    const { status, body, cleaned } = await removeViaApi(server, file, "holiday.ass", { keep: "comments" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.toString("utf8")).toContain(`Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,timed by ${MARKER}`);
    expect(cleaned!.toString("utf8")).not.toContain("Aegisub");
  });

  it.each([
    ["with its icon's path on the author's disk", `[InternetShortcut]\r\nURL=https://example.com/\r\nIconFile=C:\\Users\\${MARKER}\\icon.ico\r\n`, "URL", "URL"],
    // ExifTool reads one of fewer than 76 bytes (a shell link's header) as text.
    ["of a few bytes", "[InternetShortcut]\nURL=https://example.com/\n", "TXT", "Windows Internet shortcut"],
  ])("refuses a Windows Internet shortcut %s, naming it", async (_what, text, exifToolType, type) => {
    const file = await savedIn(dir, "site.url", text);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe(exifToolType);
    const { status, body } = await removeViaApi(server, file, "site.url");
    expect(status).toBe(422);
    expect(body["error"]).toBe(`Metadata removal is not supported for this file type (${type})`);
  });
});
