import { execFile } from "node:child_process";
import { chmod, chown, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** Where Debian's postgresql package puts the server's programs (the newest version). */
async function serverBin(): Promise<string> {
  const versions = await readdir("/usr/lib/postgresql").catch(() => []);
  const newest = versions
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => b - a)[0];
  if (newest === undefined) {
    throw new Error("PostgreSQL is not installed: apt-get install postgresql (.ci/run does it)");
  }
  return `/usr/lib/postgresql/${newest}/bin`;
}

function run(command: string, args: readonly string[]): Promise<string> {
  // The server refuses to run as root: as root (CI), its programs run as the postgres user.
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, [...args]];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 60_000 }, (error, stdout, stderr) =>
      error === null
        ? resolve(stdout)
        : reject(new Error(`${command} failed: ${stderr || error.message}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

export interface TestPostgres {
  /** postgres://spec:secret@127.0.0.1:PORT/telemetry */
  readonly url: string;
  readonly port: number;
  /** A fresh empty database on the same server, and its URL. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL server of its own (initdb in a temp folder, a free port on 127.0.0.1,
 * password authentication), stopped and removed by `stop`. Never mocked.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = await serverBin();
  const dir = await mkdtemp(join(tmpdir(), "spec-kitty-pg-"));
  const data = join(dir, "data");
  const passwordFile = join(dir, "password");
  await writeFile(passwordFile, "secret\n");
  if (process.getuid?.() === 0) {
    const uid = Number((await run("id", ["-u"])).trim());
    const gid = Number((await run("id", ["-g"])).trim());
    await chown(dir, uid, gid);
    await chown(passwordFile, uid, gid);
  }
  await chmod(dir, 0o700);
  await run(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "spec",
    "--pwfile",
    passwordFile,
    "--auth-local=scram-sha-256",
    "--auth-host=scram-sha-256",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await run(join(bin, "pg_ctl"), [
    "-D",
    data,
    "-o",
    options,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "60",
    "start",
  ]);
  const urlOf = (db: string) => `postgres://spec:secret@127.0.0.1:${port}/${db}`;
  const database = async (name: string) => {
    const admin = new pg.Client({ connectionString: urlOf("postgres") });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return urlOf(name);
  };
  const url = await database("telemetry");
  return {
    url,
    port,
    database,
    stop: async () => {
      await run(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
