import type { ExifToolAccess } from "../cleaners/types.js";
import type { AnswerMessage, FindingsRead, MainAnswer, MainRequest, RequestMessage } from "./messages.js";
import { serializeError } from "./serialize-error.js";
import type { ToolSpawner } from "./tool-spawner.js";

/** Takes room in the work budget for a file inside the task's file that weighs `bytes` more than its size. */
export type Weigh = (bytes: number, signal: AbortSignal) => Promise<void>;

/**
 * What a task may wait for from its caller: room in the budget (`weigh`), the file's read (`tags`);
 * and what it tells it: a cleaning's output written for good (`final`, CleanContext.outputFinal).
 */
export interface TaskNeeds {
  weigh?: Weigh;
  tags?: Promise<FindingsRead>;
  final?: () => void;
}

/**
 * The service's end of one task's line: answers the task process's ExifTool reads and writes,
 * starts its helper programs (through the spawner), grows its room in the budget (`weigh`; none:
 * the task's room does not grow), hands it the file's read when it comes (`tags`) and passes on that
 * its output is final (`final`), all under the task's signal. Once the signal fires nothing new
 * starts, running programs are killed, and every question still open is answered with a failure
 * at once (a task waiting for the file's read or for room ends then, its process free for the next
 * task). Returns what takes the task's questions; `post` sends an answer back.
 */
export function serveTask(post: (message: AnswerMessage) => void, exiftool: ExifToolAccess, tools: ToolSpawner, signal: AbortSignal, needs: TaskNeeds = {}): (message: RequestMessage) => void {
  const open = new Set<number>();
  const settle = (message: AnswerMessage): void => {
    if (open.delete(message.id)) post(message);
  };
  signal.addEventListener(
    "abort",
    () => {
      const error = serializeError(new Error("the task was stopped"));
      for (const id of [...open]) settle({ id, ok: false, error });
    },
    { once: true },
  );
  return (m) => {
    open.add(m.id);
    void answer(m.request, exiftool, tools, signal, needs).then(
      (value): void => settle({ id: m.id, ok: true, value }),
      (err: unknown): void => settle({ id: m.id, ok: false, error: serializeError(err) }),
    );
  };
}

async function answer(request: MainRequest, exiftool: ExifToolAccess, tools: ToolSpawner, signal: AbortSignal, { weigh, tags, final }: TaskNeeds): Promise<MainAnswer> {
  signal.throwIfAborted();
  switch (request.op) {
    case "read":
      return exiftool.read(request.file, { embedded: request.embedded, numeric: request.numeric, imageHash: request.imageHash });
    case "write":
      return exiftool.write(request.input, request.output, request.args);
    case "tool":
      return tools.run(request.cmd, request.args, { ...request.opts, signal });
    case "weigh":
      await weigh?.(request.bytes, signal);
      return null;
    case "final":
      final?.();
      return null;
    case "tags":
      if (tags == null) throw new Error("this task was given its tags");
      return await tags;
  }
}
