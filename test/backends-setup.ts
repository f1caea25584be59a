import type { TestProject } from "vitest/node";
import { startBackends } from "./helpers/backends.js";

/**
 * With EXIFAPI_TEST_BACKENDS=distributed, starts PostgreSQL, Redis and an S3 server once for the
 * whole run; test/helpers/server.ts gives each service a database and a bucket prefix on them.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env["EXIFAPI_TEST_BACKENDS"] !== "distributed") return undefined;
  const backends = await startBackends();
  project.provide("backends", backends.urls);
  return backends.stop;
}
