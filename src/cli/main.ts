import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { CLEAN_USAGE, cleanCommand } from "./clean-command.js";
import { INSPECT_USAGE, inspectCommand } from "./inspect-command.js";
import { createExifToolPool } from "../metadata/exiftool-pool.js";
import { createDb } from "../store/db.js";
import { createKeyStore } from "../store/keys.js";

const USAGE = `Usage: exifapi <command>

Commands:
  serve                       start the service (what \`make run\` runs)
  clean PATH...               clean files and folders locally (\`exifapi clean --help\`)
  inspect PATH...             print what each file gives away (\`exifapi inspect --help\`)
  keys create --name NAME     create an API key; the key is printed alone on the last line
  keys list [--json]          list keys (never the keys themselves)
  keys revoke ID              revoke a key; it is refused from the next request on
  migrate                     create or update the database schema
  --version                   print the exifapi and ExifTool versions

Configuration comes from environment variables (see README.md).`;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function withKeys<T>(fn: (keys: ReturnType<typeof createKeyStore>) => Promise<T>): Promise<T> {
  const db = await createDb(loadConfig());
  try {
    return await fn(createKeyStore(db.db));
  } finally {
    await db.close();
  }
}

async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parseArgs({ args: rest, options: { name: { type: "string" } }, strict: true });
    const name = values.name?.trim();
    if (name == null || name === "") {
      process.stderr.write("keys create needs --name NAME\n");
      return 2;
    }
    const { info, key } = await withKeys((k) => k.create(name));
    process.stdout.write(`Created key ${info.id} (${info.name}). Keep it safe: it is not shown again.\n${key}\n`);
    return 0;
  }
  if (sub === "list") {
    const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } }, strict: true });
    const list = await withKeys((k) => k.list());
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    const rows = [["ID", "NAME", "CREATED", "LAST USED", "REVOKED"], ...list.map((k) => [k.id, k.name, k.createdAt, k.lastUsedAt ?? "-", k.revokedAt ?? "-"])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
    return 0;
  }
  if (sub === "revoke") {
    const id = rest[0];
    if (id == null || rest.length !== 1) {
      process.stderr.write("keys revoke needs exactly one key ID (see `exifapi keys list`)\n");
      return 2;
    }
    const ok = await withKeys((k) => k.revoke(id));
    if (!ok) {
      process.stderr.write(`No key with ID ${id}\n`);
      return 1;
    }
    process.stdout.write(`Revoked key ${id}\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve": {
      // Loaded only here: clean and inspect need none of the HTTP stack.
      const { serve } = await import("../server.js");
      await serve(loadConfig());
      return -1;
    }
    case "keys":
      return keysCommand(rest);
    case "clean":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(`${CLEAN_USAGE}\n`);
        return 0;
      }
      return cleanCommand(rest);
    case "inspect":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(`${INSPECT_USAGE}\n`);
        return 0;
      }
      return inspectCommand(rest);
    case "migrate": {
      const db = await createDb(loadConfig());
      await db.close();
      process.stdout.write("Database is up to date.\n");
      return 0;
    }
    case "--version":
    case "version": {
      const pool = await createExifToolPool({ EXIFTOOL_PROCS: 1, EXIFTOOL_TASK_TIMEOUT_SECONDS: 30 });
      process.stdout.write(`exifapi ${packageVersion()}\nExifTool ${pool.version}\n`);
      await pool.close();
      return 0;
    }
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`exifapi: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
