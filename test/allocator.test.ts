import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendantPids, taskProcessPids } from "./helpers/fuzz-proc.js";
import { makeJpeg } from "./helpers/make-files.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

const JEMALLOC = ["/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2"].find((p) => fs.existsSync(p));

function maps(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/maps`, "utf8");
}

function environ(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
}

describe("the service's allocator", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.stop());

  it("is jemalloc, as scripts/run-service.sh starts it, and its task processes' too; the programs it runs keep their own", async () => {
    // scripts/install-deps.sh installs libjemalloc2: the launcher's choice is only tested where it exists.
    expect(JEMALLOC, "libjemalloc2 is installed").toBeDefined();
    expect(maps(server.process.pid as number)).toContain("libjemalloc");
    expect(server.logs.find((l) => l.includes('"exifapi ready"'))).toContain('"allocator":"jemalloc"');

    const dir = fs.mkdtempSync("/tmp/exifapi-allocator-");
    try {
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "photo.jpg", data: fs.readFileSync(await makeJpeg(dir)) }, { headers: { "X-API-Key": server.apiKey } });
      expect(res.status).toBe(200);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // ExifTool's Perl processes, the helper-program spawner and the task processes were started by now.
    const tasks = await taskProcessPids(server.process.pid as number);
    const children = (await descendantPids(server.process.pid as number)).filter((pid) => !tasks.includes(pid));
    expect(children.length).toBeGreaterThanOrEqual(2);
    for (const pid of children) {
      expect(maps(pid), `child ${pid}`).not.toContain("libjemalloc");
      expect(environ(pid).filter((e) => e.startsWith("LD_PRELOAD=") || e.startsWith("EXIFAPI_PRELOADED="))).toEqual([]);
    }
    // The task processes parse the uploads in the service's stead: on its allocator.
    expect(tasks.length).toBeGreaterThanOrEqual(1);
    for (const pid of tasks) {
      expect(maps(pid), `task process ${pid}`).toContain("libjemalloc");
      expect(environ(pid).filter((e) => e.startsWith("EXIFAPI_PRELOADED="))).toEqual([]);
    }
  });

  it("is glibc's with EXIFAPI_ALLOCATOR=system", async () => {
    const own = await startServer({ EXIFAPI_ALLOCATOR: "system" });
    try {
      expect(maps(own.process.pid as number)).not.toContain("libjemalloc");
      expect(own.logs.find((l) => l.includes('"exifapi ready"'))).toContain('"allocator":"glibc"');
    } finally {
      await own.stop();
    }
  });
});
