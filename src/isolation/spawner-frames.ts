/**
 * The spawner's line (see tool-spawner.pl, which documents it): frames of a 32-bit big-endian
 * length and NUL-separated fields, the answer's fields followed by the program's stdout and stderr.
 */

export interface RunLimits {
  timeoutMs: number;
  maxOutputBytes: number;
  memoryBytes: number;
  fileBytes?: number;
}

/** How a program ended, as the spawner saw it. */
export type AnswerKind = "exit" | "signal" | "timeout" | "output" | "aborted" | "nostart";

export interface SpawnerAnswer {
  id: number;
  kind: AnswerKind;
  /** The exit code, the signal's name, or why it did not start. */
  value: string;
  stdout: Buffer;
  stderr: string;
}

function frame(fields: readonly string[]): Buffer {
  const payload = Buffer.from(fields.join("\0"), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

export function runFrame(id: number, cmd: string, args: readonly string[], limits: RunLimits): Buffer {
  const { timeoutMs, maxOutputBytes, memoryBytes, fileBytes } = limits;
  return frame(["run", String(id), String(Math.ceil(timeoutMs)), String(maxOutputBytes), String(memoryBytes), fileBytes != null ? String(fileBytes) : "", cmd, ...args]);
}

export function abortFrame(id: number): Buffer {
  return frame(["abort", String(id)]);
}

/** Cuts the bytes the spawner writes into answers, whatever the chunks they arrive in. */
export function answerReader(onAnswer: (answer: SpawnerAnswer) => void): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Joined only once a whole frame is there: a 16 MB answer comes in hundreds of chunks.
  const joined = (): Buffer => {
    const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [bytes];
    return bytes;
  };
  return (chunk) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= 4) {
      const length = (pending[0]!.length >= 4 ? pending[0]! : joined()).readUInt32BE(0);
      if (pendingBytes < 4 + length) return;
      const bytes = joined();
      onAnswer(parseAnswer(bytes.subarray(4, 4 + length)));
      const rest = bytes.subarray(4 + length);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
  };
}

function parseAnswer(payload: Buffer): SpawnerAnswer {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const end = payload.indexOf(0, at);
    fields.push(payload.toString("utf8", at, end));
    at = end + 1;
  }
  const [id, kind, value, outLength, errLength] = fields;
  const stdoutEnd = at + Number(outLength);
  return {
    id: Number(id),
    kind: kind as AnswerKind,
    value: value!,
    stdout: payload.subarray(at, stdoutEnd),
    stderr: payload.toString("utf8", stdoutEnd, stdoutEnd + Number(errLength)),
  };
}
