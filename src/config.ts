import os from "node:os";
import path from "node:path";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/**
 * Every setting of the service, read from the environment once at startup.
 * Defaults are the contract's (`shared/API.md`, "Running it").
 */
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  PUBLIC_BASE_URL: z.url().optional(),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
  STORAGE_URL: z.string().min(1).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_PRESIGNED_DOWNLOADS: bool.default(false),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be redis://... or rediss://...").optional(),
  MAX_FILE_MB: z.coerce.number().positive().default(100),
  DOWNLOAD_TTL_HOURS: z.coerce.number().positive().default(24),
  RESULT_TTL_HOURS: z.coerce.number().min(0).default(720),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(60),
  CORS_ORIGINS: z.string().default("*"),
  SWEEP_INTERVAL_SECONDS: z.coerce.number().positive().default(60),
  ALLOW_PRIVATE_URLS: bool.default(false),
  TRUST_PROXY: bool.default(false),
  URL_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  EXIFTOOL_PROCS: z.coerce.number().int().positive().optional(),
  EXIFTOOL_TASK_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  UPLOAD_IDLE_SECONDS: z.coerce.number().positive().default(30),
  UPLOAD_TIMEOUT_SECONDS: z.coerce.number().positive().default(900),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(30),
  MAX_FILES_IN_WORK: z.coerce.number().int().positive().optional(),
  MAX_MB_IN_WORK: z.coerce.number().positive().optional(),
  MAX_QUEUED_REQUESTS: z.coerce.number().int().min(0).default(64),
  WORKER_HEAP_MB: z.coerce.number().int().min(64).default(512),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

type Env = z.infer<typeof schema>;

export interface Config extends Omit<Env, "PUBLIC_BASE_URL" | "DATA_DIR" | "EXIFTOOL_PROCS" | "MAX_FILES_IN_WORK" | "MAX_MB_IN_WORK"> {
  DATA_DIR: string;
  PUBLIC_BASE_URL: string;
  EXIFTOOL_PROCS: number;
  MAX_FILES_IN_WORK: number;
  MAX_MB_IN_WORK: number;
  maxFileBytes: number;
  downloadTtlMs: number;
  /** How long extraction results are kept; null keeps them forever (RESULT_TTL_HOURS=0). */
  resultTtlMs: number | null;
}

export class ConfigError extends Error {}

/** Reads and validates the whole configuration, reporting every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(schema.shape).flatMap((k) => (env[k] != null && env[k] !== "" ? [[k, env[k]]] : [])),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    ...e,
    DATA_DIR: path.resolve(e.DATA_DIR),
    PUBLIC_BASE_URL: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    // Every core keeps one ExifTool busy; exiftool-vendored's own default (cores/4) leaves a
    // 2-core machine with a single worker.
    EXIFTOOL_PROCS: e.EXIFTOOL_PROCS ?? Math.max(1, os.availableParallelism()),
    // Two files per core keep the cores busy while one file waits on ExifTool or the disk; each
    // file in work holds a task process or two (WORKER_HEAP_MB each) and one helper program at most.
    MAX_FILES_IN_WORK: e.MAX_FILES_IN_WORK ?? Math.max(2, 2 * os.availableParallelism()),
    // Bytes of files in work together: the temp space they hold and the I/O they cost.
    MAX_MB_IN_WORK: e.MAX_MB_IN_WORK ?? Math.max(e.MAX_FILE_MB, 1024),
    maxFileBytes: Math.floor(e.MAX_FILE_MB * 1024 * 1024),
    downloadTtlMs: Math.round(e.DOWNLOAD_TTL_HOURS * 3600 * 1000),
    resultTtlMs: e.RESULT_TTL_HOURS === 0 ? null : Math.round(e.RESULT_TTL_HOURS * 3600 * 1000),
  };
}
