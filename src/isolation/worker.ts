import type { AttachedFindingsJob, CleanJob, CleanJobResult, FindingsJobResult, FindingsJob, JobResult, ScreenJob, ScreenJobResult, TaskLine } from "./jobs.js";
import type { FindingsRead } from "./messages.js";
import { releaseHeapIfGrown } from "./heap-release.js";
import { serializeError } from "./serialize-error.js";
import { exiftoolOverChannel, openWorkerChannel, TaskStopped, withChannel, type WorkerChannel } from "./worker-channel.js";

/**
 * The isolation boundary: a worker thread (under V8 heap and stack limits set by the pool) runs
 * the work that parses a client's bytes. Running out of memory there ends this worker, not the
 * service; errors come back as data because classes do not survive the thread boundary. Each kind
 * of job imports its modules on its first run in the thread (a thread that only screens files
 * never loads the findings' or the cleaners'), as the registry does each cleaner's: every
 * new thread pays for what it loads (bench/results-notes.md, "Cold worker threads").
 */

/** Runs one type's cleaner over the file. */
export function cleanInWorker(job: CleanJob): Promise<CleanJobResult> {
  return asJob(job, async (channel) => {
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
export function findingsInWorker(job: FindingsJob): Promise<FindingsJobResult> {
  return asJob(job, async (channel) => {
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
export function attachedFindingsInWorker(job: AttachedFindingsJob): Promise<FindingsJobResult> {
  return asJob(job, async (channel) => {
    const { attachedFindingsOf } = await import("../metadata/findings/index.js");
    return attachedFindingsOf(job.tags, job.file, job.scratchDir, job.files, exiftoolOverChannel(channel));
  });
}

/** Refuses a file too complex to hand to ExifTool, before it reads it, or writes a view of it that is not (see checkShape). */
export function screenInWorker(job: ScreenJob): Promise<ScreenJobResult> {
  return asJob(job, async () => (await import("../cleaners/screen.js")).checkShape(job.file, job.view));
}

async function asJob<T>(line: TaskLine, work: (channel: WorkerChannel) => Promise<T>): Promise<JobResult<T>> {
  const channel = openWorkerChannel(line.port, line.stop);
  try {
    // A task stopped while it waited for a thread does not start.
    if (channel.stopped()) throw new TaskStopped();
    return { ok: true, value: await withChannel(channel, () => work(channel)) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  } finally {
    channel.close();
    releaseHeapIfGrown();
  }
}
