import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type MidiData, type MidiEvent, parseMidi, writeMidi } from "midi-file";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { riffChunk } from "./helpers/make-av-formats.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type RunningServer, startServer } from "./helpers/server.js";

/*
 * RIFF MIDI files (.rmi: a Standard MIDI File in a RIFF form of type "RMID", as Windows Media
 * Player and some sequencers save them) were refused as an unsupported RIFF. ExifTool reads their
 * INFO list (title, copyright, software) but not the MIDI file inside, whose text events carry the
 * same names a .mid's do; a DISP chunk can hold a title or a picture.
 */

let server: RunningServer;
let dir: string;
const MARKER = "RmidHidden4471";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-rmid-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

function rmid(chunks: readonly Buffer[]): Buffer {
  return riffChunk("RIFF", Buffer.concat([Buffer.from("RMID", "latin1"), ...chunks]));
}

const info = (fields: Record<string, string>): Buffer =>
  riffChunk("LIST", Buffer.concat([Buffer.from("INFO", "latin1"), ...Object.entries(fields).map(([id, text]) => riffChunk(id, Buffer.from(`${text}\0`, "latin1")))]));

/** A song for another library (midi-file) to write: text among notes, a tempo, a program change and a system exclusive message of `sysex` bytes. */
function songData(sysex = 4): MidiData {
  const text = (type: "text" | "copyrightNotice" | "trackName" | "marker", t: string, deltaTime = 0): MidiEvent => ({ deltaTime, meta: true, type, text: t });
  return {
    header: { format: 1, numTracks: 2, ticksPerBeat: 96 },
    tracks: [
      [text("trackName", `${MARKER} song`), text("copyrightNotice", `(c) ${MARKER}`), { deltaTime: 0, meta: true, type: "setTempo", microsecondsPerBeat: 500000 }, text("marker", `${MARKER} verse`, 96), { deltaTime: 0, meta: true, type: "endOfTrack" }],
      [
        text("trackName", `${MARKER} piano`),
        { deltaTime: 0, channel: 0, type: "programChange", programNumber: 4 },
        { deltaTime: 0, type: "sysEx", data: [0x43, ...Array.from({ length: sysex - 2 }, () => 0x10), 0xf7] },
        { deltaTime: 0, channel: 0, type: "noteOn", noteNumber: 60, velocity: 100 },
        text("text", `Made with ${MARKER} Sequencer`, 30),
        { deltaTime: 66, channel: 0, type: "noteOff", noteNumber: 60, velocity: 64 },
        { deltaTime: 0, meta: true, type: "endOfTrack" },
      ],
    ],
  };
}

const song = (sysex?: number): Buffer => Buffer.from(writeMidi(songData(sysex)));

/** Every event of every track that is not text, at its tick, as midi-file reads them. */
function music(smf: Buffer): unknown[][] {
  return parseMidi(smf).tracks.map((track) => {
    let tick = 0;
    return track.flatMap((e) => {
      tick += e.deltaTime;
      return "text" in e ? [] : [{ tick, type: e.type, event: { ...e, deltaTime: 0 } }];
    });
  });
}

/** The form's chunks, by type. */
function chunksOf(file: Buffer): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (let at = 12; at + 8 <= file.length; ) {
    const size = file.readUInt32LE(at + 4);
    found.set(file.toString("latin1", at, at + 4), file.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size % 2);
  }
  return found;
}

async function removed(name: string, bytes: Buffer): Promise<Awaited<ReturnType<typeof removeViaApi>>> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return removeViaApi(server, file);
}

describe("POST /api/v1/remove on a RIFF MIDI file (.rmi)", () => {
  it("reports and drops the INFO list, the DISP chunk and the MIDI file's text; every note plays at the same tick", async () => {
    const smf = song();
    const disp = riffChunk("DISP", Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from(`${MARKER} shown\0`, "latin1")]));
    const bytes = rmid([info({ INAM: `${MARKER} title`, ICOP: `${MARKER} rights`, ISFT: `${MARKER} software` }), riffChunk("data", smf), disp]);

    const findings = await findingsViaApi(server, "song.rmi", bytes);
    expect(findings.flatMap((f) => f.tags ?? [])).toEqual(expect.arrayContaining(["riff:Copyright", "midi:Copyright", "riff:Software"]));

    const outcome = await removed("song.rmi", bytes);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(outcome.body["remaining"]).toEqual({});
    expect(outcome.body["removed"]).toMatchObject({ riff: expect.any(Number), midi: expect.any(Number) });
    const copy = outcome.cleaned!;
    expect(await findMarker(copy, MARKER)).toEqual([]);
    expect(copy.toString("latin1", 8, 12)).toBe("RMID");
    expect(copy.readUInt32LE(4)).toBe(copy.length - 8);
    const chunks = chunksOf(copy);
    expect([...chunks.keys()]).toEqual(["data"]);
    expect(music(chunks.get("data")!)).toEqual(music(smf));
    expect(music(smf).flat().length).toBe(7);
  });

  it("a MIDI file of odd length keeps its pad byte, and the form's size counts it", async () => {
    // The length of the song without its text, as midi-file writes it, made odd by the size of its system exclusive message.
    const withoutText = (sysex: number): number => {
      const data = songData(sysex);
      return writeMidi({ ...data, tracks: data.tracks.map((t) => t.filter((e) => !("text" in e))) }).length;
    };
    const sysex = withoutText(4) % 2 === 1 ? 4 : 5;
    const smf = song(sysex);
    const bytes = rmid([riffChunk("data", smf), info({ ICMT: `${MARKER} comment` })]);

    const outcome = await removed("odd.rmi", bytes);
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    const copy = outcome.cleaned!;
    expect(await findMarker(copy, MARKER)).toEqual([]);
    expect(copy.readUInt32LE(4)).toBe(copy.length - 8);
    const size = copy.readUInt32LE(16);
    expect(size).toBe(withoutText(sysex));
    expect(size % 2).toBe(1);
    expect(copy.length).toBe(20 + size + (size % 2));
    expect(music(chunksOf(copy).get("data")!)).toEqual(music(smf));
  });

  it("refuses one holding instruments of its own (a DLS collection) as unsupported, and one whose data chunk runs past the end as damaged", async () => {
    const dls = riffChunk("RIFF", Buffer.concat([Buffer.from("DLS ", "latin1"), riffChunk("colh", Buffer.alloc(4))]));
    const withDls = await removed("dls.rmi", rmid([riffChunk("data", song()), dls]));
    expect(withDls.status).toBe(422);
    expect(withDls.body["error"]).toBe("Metadata removal is not supported for this file type (RIFF MIDI with its own DLS instruments)");

    const whole = rmid([info({ INAM: `${MARKER} title` }), riffChunk("data", song())]);
    const cut = await removed("cut.rmi", whole.subarray(0, whole.length - 10));
    expect(cut.status).toBe(422);
    expect(cut.body["error"]).toBe("The RIFF MIDI file is damaged: it holds no whole data chunk.");
  });
});
