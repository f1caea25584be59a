/** `WAVEFORMATEX`: the format's fields, then `cbSize`, the length of the format's own extension that follows. */
export const WAVEFORMATEX_SIZE = 18;
/** `PCMWAVEFORMAT`: the fields up to the bits per sample, all that PCM has. */
const PCMWAVEFORMAT_SIZE = 16;
const WAVE_FORMAT_PCM = 1;

/**
 * How much of a `fmt ` chunk of `size` bytes (`head`: its first bytes) the format reads: PCM's
 * fields, or every other format's and the extension `cbSize` declares. A writer may put anything
 * past that, which ffmpeg and players skip: the cleaners leave it out or zero it.
 */
export function formatLength(head: Buffer, size: number): number {
  if (size >= PCMWAVEFORMAT_SIZE && head.readUInt16LE(0) === WAVE_FORMAT_PCM) return PCMWAVEFORMAT_SIZE;
  if (size < WAVEFORMATEX_SIZE) return size;
  return Math.min(size, WAVEFORMATEX_SIZE + head.readUInt16LE(16));
}

/** The `fact` chunk's one field, the number of samples: what a longer one holds past it is no format's. */
export const FACT_SIZE = 4;
