/**
 * The module piscina loads in each worker thread: CommonJS, so that piscina's require() of it never
 * goes through Node 20's require() of an ES module. When the worker's ES module graph fails to link
 * (a build rewritten under a running service, a module missing from an install), that path fails an
 * internal assertion inside piscina's loader, where the thread's task is never answered, or aborts
 * the whole process (V8 FATAL "IsGraphAsync ... instantiated module"). import() rejects instead,
 * and the rejection is the task's.
 */
type Worker = typeof import("./worker.js");

let loading: Promise<Worker> | undefined;

function worker(): Promise<Worker> {
  loading ??= import("./worker.js").catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

export = {
  cleanInWorker: async (job: Parameters<Worker["cleanInWorker"]>[0]) => (await worker()).cleanInWorker(job),
  findingsInWorker: async (job: Parameters<Worker["findingsInWorker"]>[0]) => (await worker()).findingsInWorker(job),
  attachedFindingsInWorker: async (job: Parameters<Worker["attachedFindingsInWorker"]>[0]) => (await worker()).attachedFindingsInWorker(job),
  screenInWorker: async (job: Parameters<Worker["screenInWorker"]>[0]) => (await worker()).screenInWorker(job),
};
