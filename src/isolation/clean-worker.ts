import { clean } from "../cleaners/clean-file.js";
import { cleanerFor } from "../cleaners/registry.js";
import type { CleanJob, CleanJobResult } from "./clean-job.js";
import { serializeError } from "./serialize-error.js";
import { exiftoolOverChannel, openWorkerChannel, withChannel } from "./worker-channel.js";

/**
 * The isolation boundary: a worker thread (under V8 heap and stack limits set by the pool) runs one
 * type's cleaner over the untrusted bytes. Running out of memory there ends this worker, not the
 * service; errors come back as data because classes do not survive the thread boundary.
 */
export default async function cleanInWorker(job: CleanJob): Promise<CleanJobResult> {
  const channel = openWorkerChannel(job.port);
  try {
    const cleaner = cleanerFor(job.fileType);
    if (cleaner == null) throw new Error(`no cleaner for ${job.fileType} in the worker`);
    const request = { exiftool: exiftoolOverChannel(channel), input: job.input, output: job.output, workDir: job.workDir, keep: new Set(job.keep), unknownMembers: job.unknownMembers };
    const outcome = await withChannel(channel, () => clean(request, { fileType: job.fileType, cleaner }));
    return { ok: true, outcome };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  } finally {
    channel.close();
  }
}
