import type { AttachedFindingsJob, CleanJob, CleanJobResult, FindingsJobResult, FindingsJob, JobResult, ScreenJob, ScreenJobResult, TaskOrder } from "./jobs.js";
import type { FindingsRead } from "./messages.js";
import { serializeError } from "./serialize-error.js";
import { exiftoolOverChannel, TaskStopped, withChannel, type WorkerChannel } from "./worker-channel.js";

/**
 * The tasks a task process runs (see task-process.ts): the work that parses a client's bytes.
 * Errors come back as data because classes do not survive the process boundary. Each kind of job
 * imports its modules on its first run in the process (a process that only screens files never
 * loads the findings' or the cleaners'), as the registry does each cleaner's: every new process
 * pays for what it loads (bench/results-notes.md, "Cold task processes").
 */

/** Runs one type's cleaner over the file. */
function cleanInWorker(job: CleanJob, channel: WorkerChannel): Promise<CleanJobResult> {
  return asJob(channel, async () => {
    const [{ clean }, { cleanerFor }] = await Promise.all([import("../cleaners/clean-file.js"), import("../cleaners/registry.js")]);
    const cleaner = await cleanerFor(job.fileType);
    if (cleaner == null) throw new Error(`no cleaner for ${job.fileType} in the worker`);
    const outputFinal = (): void => void channel.call({ op: "final" }).catch(() => undefined);
    const request = { exiftool: exiftoolOverChannel(channel), input: job.input, output: job.output, workDir: job.workDir, keep: new Set(job.keep), unknownMembers: job.unknownMembers, outputFinal };
    return clean(request, { fileType: job.fileType, cleaner });
  });
}

/**
 * Computes what the file gives away (PDF objects, office parts, previews and inner files are read
 * here). A task given no tags decodes the main picture first (`decodeAhead`), then waits for the
 * read: the decode runs beside ExifTool's, and the looks that need no picture run beside the decode.
 */
function findingsInWorker(job: FindingsJob, channel: WorkerChannel): Promise<FindingsJobResult> {
  return asJob(channel, async () => {
    const [{ findingsOf }, { decodePictureAhead }] = await Promise.all([import("../metadata/findings/index.js"), import("../metadata/findings/previews.js")]);
    // A decode that fails only leaves the comparison to decode the picture itself.
    const picture = job.decodeAhead === true ? decodePictureAhead(job.file, job.scratchDir).catch(() => null) : undefined;
    try {
      const { tags, pdfObjects } = job.tags != null ? { tags: job.tags, pdfObjects: job.pdfObjects } : ((await channel.call({ op: "tags" })) as FindingsRead);
      const opts = { ...(pdfObjects != null ? { pdfObjects } : {}), ...(picture !== undefined ? { picture } : {}), locked: job.locked === true };
      return await findingsOf(tags, job.file, job.scratchDir, { ...opts, exiftool: exiftoolOverChannel(channel) });
    } finally {
      // Its programs run over this task's line, which closes when the task ends.
      await picture;
    }
  });
}

/** Computes what a PDF's attached files give away, as its cleaner listed them. */
function attachedFindingsInWorker(job: AttachedFindingsJob, channel: WorkerChannel): Promise<FindingsJobResult> {
  return asJob(channel, async () => {
    const { attachedFindingsOf } = await import("../metadata/findings/index.js");
    return attachedFindingsOf(job.tags, job.file, job.scratchDir, job.files, exiftoolOverChannel(channel));
  });
}

/** Refuses a file too complex to hand to ExifTool, before it reads it, or writes a view of it that is not (see checkShape). */
function screenInWorker(job: ScreenJob, channel: WorkerChannel): Promise<ScreenJobResult> {
  return asJob(channel, async () => (await import("../cleaners/screen.js")).checkShape(job.file, job.view));
}

async function asJob<T>(channel: WorkerChannel, work: () => Promise<T>): Promise<JobResult<T>> {
  try {
    // A task stopped while it waited for its process does not start.
    if (channel.stopped()) throw new TaskStopped();
    return { ok: true, value: await withChannel(channel, work) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  } finally {
    channel.close();
  }
}

/** Runs the job; its failure is its result's. */
export function runTask(order: TaskOrder, channel: WorkerChannel): Promise<JobResult<unknown>> {
  switch (order.name) {
    case "clean":
      return cleanInWorker(order.job, channel);
    case "findings":
      return findingsInWorker(order.job, channel);
    case "attachedFindings":
      return attachedFindingsInWorker(order.job, channel);
    case "screen":
      return screenInWorker(order.job, channel);
  }
}
