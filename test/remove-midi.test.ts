import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseMidi } from "midi-file";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunk, endOfTrack, ev, header, meta, song } from "./helpers/make-midi.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, postFile, type RunningServer, startServer } from "./helpers/server.js";

/*
 * Standard MIDI Files (.mid, .kar) were an unsupported type, and ExifTool does not read them.
 * Besides the music they carry text meta events (a copyright notice, track, instrument, program
 * and device names, markers, cue points, free text naming the arranger or the software), a
 * sequencer's own data, and chunks of other kinds (a Yamaha XF file's information). The music is
 * judged by another parser (midi-file): every event that is not text plays at the same tick.
 */

let server: RunningServer;
let dir: string;
const MARKER = "MidiHidden3389";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-midi-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

interface Played {
  tick: number;
  event: Record<string, unknown>;
}

/** Every event of every track that is not text or a sequencer's data, at its tick, as midi-file reads them. */
function music(bytes: Buffer): Played[][] {
  const text = new Set(["text", "copyrightNotice", "trackName", "instrumentName", "marker", "cuePoint", "programName", "deviceName", "sequencerSpecific", "unknownMeta"]);
  return parseMidi(bytes).tracks.map((track) => {
    let tick = 0;
    const played: Played[] = [];
    for (const e of track) {
      tick += e.deltaTime;
      if (text.has(e.type)) continue;
      const { deltaTime: _, running: __, ...event } = e as unknown as Record<string, unknown>;
      played.push({ tick, event });
    }
    return played;
  });
}

async function cleaned(name: string, bytes: Buffer): Promise<{ copy: Buffer; removed: Record<string, number> }> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  const outcome = await removeViaApi(server, file);
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  return { copy: outcome.cleaned!, removed: outcome.body["removed"] as Record<string, number> };
}

describe("POST /api/v1/remove on a MIDI file", () => {
  it("reports and drops every text event, the sequencer's data, other chunks and the header's extra bytes; every note plays at the same tick", async () => {
    const xf = chunk("XFIH", Buffer.from(`XF02 ${MARKER} singer`, "latin1"));
    const bytes = Buffer.concat([header(2, Buffer.from(MARKER, "latin1")), song(MARKER), xf]);
    expect(music(bytes).flat().length).toBeGreaterThan(10);

    const findings = await findingsViaApi(server, "song.mid", bytes);
    expect(findings.flatMap((f) => f.tags ?? [])).toContain("midi:Copyright");

    const { copy, removed } = await cleaned("song.mid", bytes);
    expect(await findMarker(copy, MARKER)).toEqual([]);
    expect(removed["midi"]).toBeGreaterThanOrEqual(10);
    expect(music(copy)).toEqual(music(bytes));
    expect(copy.readUInt32BE(4)).toBe(6);
    expect(parseMidi(copy).tracks.flat().filter((e) => e.type === "lyrics").length).toBe(1);
  });

  it("a Soft Karaoke file keeps the words sung and its signature; its title and singer go", async () => {
    const info = Buffer.concat([meta(0, 0x01, "@KMIDI KARAOKE FILE"), meta(0, 0x01, `@T${MARKER} title`), meta(0, 0x01, `@I${MARKER} singer`), endOfTrack]);
    const words = Buffer.concat([meta(0, 0x03, "Words"), meta(10, 0x01, "\\Hel"), meta(10, 0x01, "lo "), meta(10, 0x01, "/world"), endOfTrack]);
    const bytes = Buffer.concat([header(3), chunk("MTrk", info), chunk("MTrk", words), song(MARKER).subarray(0)]);

    const { copy } = await cleaned("song.kar", bytes);
    expect(await findMarker(copy, MARKER)).toEqual([]);
    const texts = parseMidi(copy).tracks.flat().flatMap((e) => (e.type === "text" ? [e.text] : []));
    expect(texts).toEqual(["@KMIDI KARAOKE FILE", "\\Hel", "lo ", "/world"]);
    expect(parseMidi(copy).tracks.flat().flatMap((e) => (e.type === "trackName" ? [e.text] : []))).toEqual(["Words"]);
    expect(music(copy)).toEqual(music(bytes));
  });

  it("a chunk cut off after the tracks, and an ID3 tag a tagger appended, go", async () => {
    const id3 = Buffer.alloc(128);
    id3.write(`TAG${MARKER}`, 0, "latin1");
    const bytes = Buffer.concat([header(2), song(MARKER), chunk("XFKM", Buffer.from(`${MARKER} cut`, "latin1"), 100_000), id3]);
    const { copy } = await cleaned("tagged.mid", bytes);
    expect(await findMarker(copy, MARKER)).toEqual([]);
    expect(music(copy)).toEqual(music(bytes.subarray(0, bytes.indexOf("XFKM", 0, "latin1"))));
  });

  // ExifTool takes a file for a transport stream by a 0x47 byte every 188 bytes, which a run of
  // notes can make; an event of a kept type but of another length is not what its type says.
  it("a file whose notes look like a transport stream's packets to ExifTool, and a sequence number holding text: cleaned as MIDI", async () => {
    const block = Buffer.concat([ev(0, 0x90, 0x47, 100), ...Array.from({ length: 46 }, () => ev(0, 0x90, 60, 0))]);
    const notes = Buffer.concat([...Array.from({ length: 8 }, () => block), endOfTrack]);
    const bytes = Buffer.concat([header(1), chunk("MTrk", Buffer.concat([meta(0, 0x01, MARKER), meta(0, 0x00, `${MARKER} seq`), notes]))]);
    expect(bytes.indexOf(0x47) + 188).toBe(bytes.indexOf(0x47, bytes.indexOf(0x47) + 1));

    // Reported as MIDI: its text, and no word of what ExifTool made of it as a transport stream.
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "packets.mid", data: bytes }, { headers: { "X-API-Key": server.apiKey } });
    const report = (await res.json()) as { metadata: Record<string, Record<string, unknown>>; warnings: string[] };
    expect(report.metadata["File"]?.["FileType"]).toBe("MIDI");
    expect(report.metadata["midi"]?.["Text"]).toBe(MARKER);
    expect(report.warnings).toEqual([]);

    const { copy } = await cleaned("packets.mid", bytes);
    expect(await findMarker(copy, MARKER)).toEqual([]);
    expect(music(copy)).toEqual(music(Buffer.concat([header(1), chunk("MTrk", notes)])));
  });

  it("refuses one whose track runs past the end of the file, as damaged", async () => {
    const file = path.join(dir, "cut.mid");
    const whole = Buffer.concat([header(2), song(MARKER)]);
    await fs.writeFile(file, whole.subarray(0, whole.length - 5));
    const outcome = await removeViaApi(server, file);
    expect(outcome.status).toBe(422);
    expect(outcome.body["error"]).toBe("The MIDI file is damaged: a track runs past the end of the file.");
  });
});
