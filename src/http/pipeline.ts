import crypto from "node:crypto";
import fsp from "node:fs/promises";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type CleanedCopy, type CleanResult, type Detected, detect, startReread, verify } from "../cleaners/clean-file.js";
import type { DecryptedPdf } from "../cleaners/pdf/decrypted-view.js";
import { refuseLocked } from "../cleaners/pdf/locked.js";
import { hasCleaner } from "../cleaners/registry.js";
import type { KeepOption, UnknownMembers } from "../cleaners/types.js";
import { readHead } from "../cleaners/file-bytes.js";
import { needsShapeCheckOf, passesInHead, SCREEN_HEAD_BYTES } from "../cleaners/screen.js";
import { sanitizeFileName } from "../intake/file-name.js";
import { DEFAULT_REMOTE_FILE_NAME } from "../intake/remote-file-name.js";
import { displayName, type Extraction, extractMetadata, type LocalFile } from "../metadata/extract.js";
import type { FindingsRead } from "../isolation/messages.js";
import type { Finding, PdfAttachedFile } from "../metadata/findings/index.js";
import { withFindings } from "../metadata/findings/ranked.js";
import type { RawRead, RawTags } from "../metadata/read-task.js";
import { readBeforeCleaning } from "../metadata/read-for-cleaning.js";
import { likelyFileType } from "../metadata/type-by-bytes.js";
import type { Services } from "../services.js";
import type { Room } from "../work-budget.js";
import { parseBoolean, parseKeep, parseUnknownMembersOption, readRequestInput } from "./request-input.js";
import { maxRequestBodyBytes } from "./request-body-bound.js";
import { watchRequest } from "./request-deadline.js";
import { untilAborted } from "./until-aborted.js";

/**
 * What one request does, step by step and by name (STYLE.md habit 12):
 *
 *   extraction: intake -> (budget) -> screen -> extract -> store -> respond
 *   removal:    intake -> (budget) -> screen -> detect -> clean -> verify -> store -> respond
 *
 * Every step takes the request's signal (deadline or client hang-up); the budget admits the file
 * once it is on disk and its size known; temp files go whatever happens.
 */
export function makePipeline(app: FastifyInstance, services: Services) {
  const { config, temp, pool, workers, budget, blobs, cleanedFiles, extractions } = services;
  const uploadBounds = { idleMs: config.UPLOAD_IDLE_SECONDS * 1000, totalMs: config.UPLOAD_TIMEOUT_SECONDS * 1000, maxBodyBytes: maxRequestBodyBytes(config.maxFileBytes) };

  /** Runs `work` on the request's file within the deadline and the budget, then removes the file. */
  async function withFile<T>(request: FastifyRequest, reply: FastifyReply, work: (job: Job) => Promise<T>): Promise<T> {
    const deadline = watchRequest(reply, config.REQUEST_TIMEOUT_SECONDS * 1000);
    const { signal } = deadline;
    try {
      const { file, options } = await intake(request, signal);
      deadline.startClock();
      try {
        const room = await budget.acquire(file.size, signal);
        try {
          const started = performance.now();
          const job: Job = { file, options, signal, started, head: file.head ?? (await readHead(file.path, SCREEN_HEAD_BYTES)), readPath: file.path, room, weight: 0, locked: false, decrypted: null };
          try {
            return await work(job);
          } finally {
            if (job.readPath !== file.path) await temp.remove(job.readPath);
          }
        } finally {
          room.release();
        }
      } finally {
        await temp.remove(file.path);
      }
    } finally {
      deadline.end();
    }
  }

  /** Intake: the upload (already streamed to a temp file) or the URL, fetched into one. */
  async function intake(request: FastifyRequest, signal: AbortSignal): Promise<{ file: LocalFile; options: Record<string, string> }> {
    const input = await readRequestInput(request, temp, uploadBounds);
    if (input.source.kind === "file") {
      const f = input.source.file;
      return { file: { path: f.path, name: sanitizeFileName(f.clientName), size: f.size, unnamed: false, head: f.head }, options: input.options };
    }
    const dest = temp.newPath();
    try {
      const fetched = await services.fetcher.fetchToFile(input.source.url, dest, signal);
      return { file: { path: dest, name: fetched.fileName, size: fetched.size, unnamed: fetched.fileName === DEFAULT_REMOTE_FILE_NAME }, options: input.options };
    } catch (err) {
      await temp.remove(dest);
      throw err;
    }
  }

  /**
   * Screen: a file too complex for ExifTool (an SVG, millions of tiny chunks) is refused before it
   * reads it, in a worker (audio tags within the first bytes pass here: see passesInHead, their
   * weight is their size); a long fragmented recording gets a view that ExifTool reads in its place.
   * A file whose structure weighs more than its size (a PDF of many objects) then takes as much
   * room in the budget before any tool reads it, waiting for it where others hold it. A PDF that
   * needs a password is marked so.
   */
  async function screen(job: Job): Promise<void> {
    if (!needsShapeCheckOf(job.head) || (await passesInHead(job.head, job.file.size))) return;
    const view = temp.newPath();
    try {
      // A PDF the screen decrypts for ExifTool takes its room before qpdf reads it (see pdf-view.ts).
      const weigh = (bytes: number, signal: AbortSignal): Promise<void> => job.room.grow(job.file.size + bytes, signal);
      const { viewed, weight, locked, decrypted } = await workers.screen({ file: job.file.path, view }, job.signal, { weigh });
      if (viewed) job.readPath = view;
      job.weight = weight;
      job.locked = locked;
      job.decrypted = decrypted;
      await job.room.grow(job.file.size + weight, job.signal);
    } finally {
      if (job.readPath !== view) await temp.remove(view);
    }
  }

  /** Extract: ExifTool's read, shaped for the contract, with the findings of a look started before it (lookAhead). */
  async function extract(job: Job): Promise<Extraction> {
    const look = lookAhead(job);
    try {
      const read = extractMetadata(pool.accessUnder(job.signal), job.file, {
        readPath: job.readPath,
        decrypted: job.decrypted,
        numeric: parseBoolean(job.options, "numeric"),
        head: job.head,
        hiddenPaths: [temp.dir, config.DATA_DIR],
        log: app.log,
        findings: (tags) => look.findings(tags),
      });
      return await untilAborted(read, job.signal);
    } finally {
      // The look reads the file: it ends before the file goes, whatever the read did.
      await look.end();
    }
  }

  /**
   * What the file gives away, looked for in a task process (PDF objects, office parts, previews),
   * in a task started before ExifTool's read, which it waits for: meanwhile it decodes the main
   * picture of a file whose first bytes say JPEG (the previews' comparison needs the read only for
   * the previews' places), so that the decode and the read no longer add up, nor the decode and
   * the looks that need no picture. `findings` hands it the read (`pdfObjects` as findingsOf's);
   * `end` gives a look whose read never came (the read was stopped, the file refused) its end, and
   * resolves once it ended: not stopped, a task stopped that reaches no check in time ends its task
   * process (see cleanAhead).
   * Its scratch folder (made by the look only if a preview needs it) goes once the look settled: a
   * look stopped mid-way leaves its files behind.
   */
  function lookAhead(job: Job, signal = job.signal): { findings: (tags: RawTags, pdfObjects?: boolean) => Promise<Finding[]>; end: () => Promise<void> } {
    let give: (read: FindingsRead) => void = () => undefined;
    let refuse: () => void = () => undefined;
    const read = new Promise<FindingsRead>((resolve, reject) => {
      give = resolve;
      refuse = () => reject(new Error("the read ended without tags"));
    });
    read.catch(() => undefined); // a task that never asked for it
    const findings = inScratch((scratchDir) => workers.findings({ file: job.file.path, scratchDir, decodeAhead: likelyFileType(job.head) === "JPEG", locked: job.locked }, signal, read));
    findings.catch(() => undefined); // awaited once the read came; meanwhile a rejection is not unhandled
    return {
      findings: (tags, pdfObjects) => {
        give({ tags, ...(pdfObjects != null ? { pdfObjects } : {}) });
        return findings;
      },
      end: async () => {
        refuse();
        await findings.catch(() => undefined);
      },
    };
  }

  /** What a PDF's attached files give away, as its cleaner listed them (the look at its objects left them out). */
  function attachedFindingsOf(job: Job, tags: RawTags, files: readonly PdfAttachedFile[], signal: AbortSignal): Promise<Finding[]> {
    return inScratch((scratchDir) => workers.attachedFindings({ tags, file: job.file.path, scratchDir, files: [...files] }, signal));
  }

  async function inScratch<T>(work: (scratchDir: string) => Promise<T>): Promise<T> {
    const scratchDir = temp.newPath();
    try {
      return await work(scratchDir);
    } finally {
      await temp.removeDir(scratchDir);
    }
  }

  /** Detect: the type from the file's bytes, and its cleaner (422 when there is none). */
  async function detectType(job: Job): Promise<{ before: RawRead; detected: Detected }> {
    const before = await untilAborted(readBeforeCleaning(pool.accessUnder(job.signal), job.readPath, job.head, job.decrypted), job.signal);
    return { before, detected: await detect(before.tags) };
  }

  /**
   * Clean: the type's cleaner, in a task process, writing `output`. A file inside that weighs more
   * than its size (a PDF of many objects in a ZIP) grows the room as the file's own weight does:
   * inner files are cleaned one after another, so the room is the largest of them, not their sum.
   * Once the cleaner says its output is final, the verification's re-read of it starts beside the
   * cleaner's own checks of the copy (`startReread`; a PDF's qpdf read-back), not after them.
   */
  function clean(job: Job, fileType: string, opts: CleanOptions, output: Output): Promise<CleanedCopy> {
    const { keep, unknownMembers } = opts;
    const weigh = (inner: number, signal: AbortSignal): Promise<void> => job.room.grow(job.file.size + Math.max(job.weight, inner), signal);
    const final = (): void => {
      output.reread ??= startReread(pool.accessUnder(job.signal), fileType, keep, output.file);
      output.reread?.catch(() => undefined); // awaited by verify, or before the file goes
    };
    return workers.clean({ input: job.file.path, output: output.file, workDir: output.workDir, fileType, keep: [...keep], unknownMembers }, job.signal, { weigh, final });
  }

  /**
   * Clean, started before detection where the file's first bytes name its type (`likelyFileType`): the
   * cleaning then runs while ExifTool reads the file, instead of after it. It counts only if
   * ExifTool's detection names the same type; otherwise (or when detection fails) its result is
   * left unused and, if need be, the file cleaned again as detected, into paths of its own.
   * Detection and verification are the same either way. It is not stopped early but left to end
   * (the request's own signal still stops it): a stopped task that reaches no check in time ends
   * its task process (worker-pool.ts), and a new one costs ~200 ms of CPU, which a stream of small
   * files ExifTool refuses would make every request pay.
   */
  async function cleanAhead(job: Job, opts: CleanOptions): Promise<Ahead | null> {
    const fileType = likelyFileType(job.head);
    if (fileType == null || !hasCleaner(fileType)) return null;
    const output = newOutput();
    const outcome = clean(job, fileType, opts, output);
    return { fileType, output, outcome, settled: outcome.then(() => undefined, () => undefined) };
  }

  /** Paths only: the cleaning creates its work folder with its own sub-folder in it (clean-file.ts). */
  function newOutput(): Output {
    return { file: temp.newPath(), workDir: temp.newPath(), reread: null };
  }

  async function removeOutput(output: Output): Promise<void> {
    await output.reread?.catch(() => undefined);
    await temp.remove(output.file);
    await temp.removeDir(output.workDir);
  }

  /** Store (removal): the cleaned file into storage by its new id, and its record. */
  async function storeCleaned(request: FastifyRequest, output: string, fileName: string, result: CleanResult) {
    const { size } = await fsp.stat(output);
    const uuid = crypto.randomUUID();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + config.downloadTtlMs).toISOString();
    await blobs.put(uuid, output);
    await cleanedFiles.save({ uuid, apiKeyId: request.apiKeyId, fileName, mimeType: result.mimeType, size, storageKey: uuid, createdAt: now.toISOString(), expiresAt });
    return { uuid, expiresAt };
  }

  return {
    extraction: (request: FastifyRequest, reply: FastifyReply) =>
      withFile(request, reply, async (job) => {
        await screen(job);
        const shaped = await extract(job);
        app.metrics.extracted(shaped.fileType, job.file.size, job.started);
        const uuid = crypto.randomUUID();
        const body = { success: true, status: "completed", uuid, fileName: shaped.fileName, metadata: shaped.metadata, warnings: shaped.warnings, findings: shaped.findings };
        await extractions.save({ uuid, apiKeyId: request.apiKeyId, fileName: shaped.fileName, result: body, createdAt: new Date().toISOString() });
        return body;
      }),

    removal: (request: FastifyRequest, reply: FastifyReply) =>
      withFile(request, reply, async (job) => {
        const keep = parseKeep(job.options);
        const unknownMembers = parseUnknownMembersOption(job.options);
        await screen(job);
        refuseLocked(job);
        const outputs: Output[] = [];
        const ahead = await cleanAhead(job, { keep, unknownMembers });
        if (ahead != null) outputs.push(ahead.output);
        let findings: Promise<Finding[]> | null = null;
        let attachedFindings: Promise<Finding[]> = Promise.resolve([]);
        const findingsStop = new AbortController();
        const findingsSignal = AbortSignal.any([job.signal, findingsStop.signal]);
        const look = lookAhead(job, findingsSignal);
        try {
          const { before, detected } = await detectType(job);
          const fileName = displayName(job.file, before.tags);
          // The findings read the original alongside the cleaning (both only read it); a refused
          // file stops them, and the request waits for them before its temp files go.
          // A PDF's objects are dumped by its cleaner, which gives their findings and lists its
          // attached files, looked into once it is cleaned (one qpdf read of the objects).
          findings = look.findings(before.tags, detected.fileType !== "PDF");
          let output: Output;
          let outcome: CleanedCopy;
          if (ahead != null && ahead.fileType === detected.fileType) {
            output = ahead.output;
            outcome = await ahead.outcome;
          } else {
            output = newOutput();
            outputs.push(output);
            outcome = await clean(job, detected.fileType, { keep, unknownMembers }, output);
          }
          if (outcome.attachedFiles != null && outcome.attachedFiles.length > 0) {
            attachedFindings = attachedFindingsOf(job, before.tags, outcome.attachedFiles, findingsSignal);
            attachedFindings.catch(() => undefined);
          }
          const result = await untilAborted(verify(pool.accessUnder(job.signal), detected, before.tags, output.file, keep, outcome, output.reread), job.signal);
          app.metrics.cleaned(result.fileType, job.file.size, job.started);
          const { uuid, expiresAt } = await storeCleaned(request, output.file, fileName, result);
          request.log.info({ cleaner: result.cleaner, fileType: result.fileType, removed: result.removed }, "file cleaned");
          return {
            success: true,
            status: "completed",
            uuid,
            fileName,
            downloadUrl: `${config.PUBLIC_BASE_URL}/download-cleaned/${uuid}`,
            expiresAt,
            removed: result.removed,
            remaining: result.remaining,
            findings: withFindings(await findings, [...(await attachedFindings), ...(outcome.findings ?? [])]),
          };
        } finally {
          if (findings == null) await look.end();
          findingsStop.abort();
          await ahead?.settled;
          await findings?.catch(() => undefined);
          await attachedFindings.catch(() => undefined);
          for (const output of outputs) await removeOutput(output);
        }
      }),
  };
}

interface CleanOptions {
  keep: ReadonlySet<KeepOption>;
  unknownMembers: UnknownMembers;
}

/** Where one cleaning writes: the cleaned file and a folder for its own scratch files. */
interface Output {
  file: string;
  workDir: string;
  /** The verification's re-read of `file`, once started (see `clean`). */
  reread: Promise<RawRead> | null;
}

interface Ahead {
  fileType: string;
  output: Output;
  outcome: Promise<CleanedCopy>;
  /** Resolves once the cleaning ended, whichever way (its outcome unused or already taken). */
  settled: Promise<void>;
}

interface Job {
  file: LocalFile;
  options: Record<string, string>;
  signal: AbortSignal;
  started: number;
  /**
   * The file's first bytes (up to SCREEN_HEAD_BYTES), read once for the steps that decide by them:
   * the screen, the type cleaning ahead guesses, and whether ExifTool reads embedded documents.
   */
  head: Buffer;
  /** What ExifTool reads for the file: the file, or the view of it the screen wrote (removed with the file). */
  readPath: string;
  /** The file's room in the work budget. */
  room: Room;
  /** What the screen found the file weighs beyond its size (see Screened). */
  weight: number;
  /** A PDF that needs a password to open, as the screen found (see Screened). */
  locked: boolean;
  /** What ExifTool's read of `readPath`, an encrypted PDF's decrypted view, lacks of the original (see Screened). */
  decrypted: DecryptedPdf | null;
}
