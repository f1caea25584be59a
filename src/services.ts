import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { createTempSpace, type TempSpace } from "./intake/temp-space.js";
import { createUrlFetcher, type UrlFetcher } from "./intake/url-fetch.js";
import { createWorkerPool, type WorkerPool } from "./isolation/worker-pool.js";
import { createExifToolPool, type ExifToolPool } from "./metadata/exiftool-pool.js";
import { type BlobStore, createFolderBlobStore } from "./store/blobs.js";
import { type CleanedFileStore, createCleanedFileStore } from "./store/cleaned-files.js";
import { createDb, type DbHandle } from "./store/db.js";
import { createExtractionStore, type ExtractionStore } from "./store/extractions.js";
import { createKeyStore, type KeyStore } from "./store/keys.js";
import type { RedisHandle } from "./store/redis.js";
import { createWorkBudget, type WorkBudget } from "./work-budget.js";

/** Everything a request needs, made once per process and released in `close()`. */
export interface Services {
  config: Config;
  db: DbHandle;
  keys: KeyStore;
  extractions: ExtractionStore;
  cleanedFiles: CleanedFileStore;
  blobs: BlobStore;
  /** Present when `REDIS_URL` is set: rate limits are then shared by every instance. */
  redis: RedisHandle | null;
  pool: ExifToolPool;
  /** Task processes where the untrusted bytes are parsed (cleaners, findings). */
  workers: WorkerPool;
  /** Files and bytes in work at once, and the queue in front of them. */
  budget: WorkBudget;
  temp: TempSpace;
  fetcher: UrlFetcher;
  close(): Promise<void>;
}

export async function createBlobStore(config: Config): Promise<BlobStore> {
  const url = config.STORAGE_URL;
  if (url == null || url === "") return createFolderBlobStore(path.join(config.DATA_DIR, "files"));
  if (url.startsWith("s3://")) {
    // Loaded only when configured: the AWS SDK adds about 30 MB and a quarter second to a start.
    const { createS3BlobStore } = await import("./store/s3-blobs.js");
    return createS3BlobStore({
      url,
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      presignedDownloads: config.S3_PRESIGNED_DOWNLOADS,
    });
  }
  throw new Error(`STORAGE_URL ${url.split(":")[0]}:... is not supported: use s3://bucket/prefix, or leave it unset for a folder in DATA_DIR`);
}

export async function createServices(config: Config, log: Logger): Promise<Services> {
  const db = await createDb(config);
  const blobs = await createBlobStore(config);
  const redis = config.REDIS_URL != null ? (await import("./store/redis.js")).createRedis(config.REDIS_URL) : null;
  const { space: temp, swept } = await createTempSpace(config.DATA_DIR);
  if (swept > 0) log.info({ swept }, "removed temp folders left by an earlier run");
  const pool = await createExifToolPool(config);
  const workers = createWorkerPool({
    processes: config.MAX_FILES_IN_WORK,
    heapMb: config.WORKER_HEAP_MB,
    exiftool: pool.accessUnder,
    onIdleError: (err) => log.error({ err }, "a task process failed outside any request"),
  });
  if (config.ALLOW_PRIVATE_URLS) {
    log.warn("ALLOW_PRIVATE_URLS is on: the service will fetch URLs on private and loopback addresses. Never use this in production.");
  }
  const fetcher = createUrlFetcher({
    allowPrivate: config.ALLOW_PRIVATE_URLS,
    maxBytes: config.maxFileBytes,
    timeoutMs: config.URL_TIMEOUT_SECONDS * 1000,
    logger: log,
  });
  return {
    config,
    db,
    keys: createKeyStore(db.db),
    extractions: createExtractionStore(db.db),
    cleanedFiles: createCleanedFileStore(db.db),
    blobs,
    redis,
    pool,
    workers,
    // A request waits for room half its deadline at most: admitted later, it would have too little of it left.
    budget: createWorkBudget({ maxFiles: config.MAX_FILES_IN_WORK, maxBytes: config.MAX_MB_IN_WORK * 1024 * 1024, maxQueued: config.MAX_QUEUED_REQUESTS, maxWaitMs: (config.REQUEST_TIMEOUT_SECONDS * 1000) / 2 }),
    temp,
    fetcher,
    async close() {
      await fetcher.close();
      await workers.close();
      await pool.close();
      await db.close();
      await blobs.close?.();
      await redis?.close();
      await temp.close();
    },
  };
}
