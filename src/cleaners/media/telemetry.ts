import { runFfmpeg, type MediaSource } from "./ffmpeg.js";

/** Subtitle codecs whose cues are text ffmpeg can turn into SRT; bitmap subtitles are pictures. */
const TEXT_SUBTITLES = new Set(["subrip", "srt", "mov_text", "ass", "ssa", "webvtt", "text", "microdvd", "sami", "realtext", "subviewer"]);

/** How many cues are sampled: telemetry tracks carry one per frame, so the start tells. */
const SAMPLED_CUES = 500;

/**
 * A position as telemetry writers put it in a cue: DJI's `[latitude: 48.8584] [longitude: 2.2945]`
 * or `GPS(2.2945,48.8584,19)`, dash cams' `N48.8584 E2.2945` or `N:48.8584 E:2.2945` or `48°51'30"N`, or two bare decimal
 * degrees with four or more decimals (`48.858400, 2.294500`).
 */
const POSITION = [
  /\b(?:lat(?:itude)?|lon(?:gitude)?|lng)\b\s*[:=]?\s*[-+]?\d{1,3}\.\d{3,}/i,
  /\bGPS\s*[:(]\s*[-+]?\d{1,3}\.\d{3,}/i,
  /\b[NS]\s*:?\s*\d{1,2}(?:\.\d{3,}|°)[^\n]{0,30}?\b[EW]\s*:?\s*\d{1,3}(?:\.\d{3,}|°)/,
  /\d{1,3}°\s*\d{1,2}['′]\s*\d{1,2}(?:\.\d+)?["″]?\s*[NSEW]\b/,
  /[-+]?\d{1,3}\.\d{4,}\s*[,;/ ]\s*[-+]?\d{1,3}\.\d{4,}/,
];

/** True when a cue's text holds a geographic position. */
export function holdsPosition(text: string): boolean {
  return POSITION.some((re) => re.test(text));
}

/** The text of each cue of an SRT document. */
export function srtCues(srt: string): string[] {
  return srt
    .replace(/\r\n?/g, "\n")
    .split(/\n{2,}/)
    .map((block) => {
      const lines = block.split("\n");
      const timing = lines.findIndex((l) => l.includes("-->"));
      return timing < 0 ? "" : lines.slice(timing + 1).join("\n");
    })
    .filter((text) => text.trim() !== "");
}

/**
 * True when a subtitle stream is a telemetry track (a drone's or dash cam's flight log written as
 * subtitles): most of its sampled cues hold a position. Decided by content, since such tracks
 * have no flag or codec of their own; ordinary subtitles that mention a place now and then stay.
 */
export async function isTelemetryTrack(src: MediaSource, streamIndex: number, codec: string): Promise<boolean> {
  if (!TEXT_SUBTITLES.has(codec)) return false;
  const r = await runFfmpeg(
    [src],
    ["-map", `0:${streamIndex}`, "-frames:0", String(SAMPLED_CUES), "-c:0", "srt", "-f", "srt", "pipe:1"],
    8 * 1024 * 1024,
  );
  // A track that cannot be read as text is left to the remux, which copies it as it is.
  if (r.code !== 0) return false;
  const cues = srtCues(r.stdout.toString("utf8"));
  if (cues.length === 0) return false;
  const located = cues.filter(holdsPosition).length;
  return located * 2 > cues.length;
}
