// A clean Debian 12 root for package tests: made once with debootstrap (minbase) from this
// machine's own Debian mirror, cached under /var/cache/bulwark-test/ by a version stamp, and copied
// for each run. Commands run in it through chroot inside a private mount namespace (unshare), so
// its /proc and /dev mounts vanish with the command and never touch the host's mount table.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Every step execs the next, so the command keeps the pid the caller sees (and gets its signals).
const MOUNT_AND_CHROOT =
  'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && exec chroot "$1" /bin/sh -c "$2"';

/** The environment commands in the root get: nothing of the test process's own. */
const ROOT_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };

/** A unit installed in the root: its ExecStart and its `Environment=` settings, as its service gets them. */
export function unitService(root: string, unit: string): { execStart: string; environment: Record<string, string> } {
  const text = readFileSync(join(root, 'lib/systemd/system', unit), 'utf8');
  const execStart = /^ExecStart=(.+)$/m.exec(text)?.[1];
  if (execStart === undefined) throw new Error(`${unit} has no ExecStart`);
  const environment = Object.fromEntries(
    [...text.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  return { execStart, environment };
}

/** Bump when the root's recipe changes: a new stamp makes a new cached root. */
export const ROOT_STAMP = 'bookworm-minbase-curl-v1';
export const CACHE_DIR = '/var/cache/bulwark-test';
/** Beyond minbase: curl and its CA store, which the deployment script uses. */
const INCLUDE = ['curl', 'ca-certificates'];

/** The Debian mirror this machine's apt uses (deb822 `URIs:` or a one-line `deb URL bookworm …`). */
export function debianMirror(): string | undefined {
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d'))
    for (const name of readdirSync('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', name));
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uri && suites.includes('bookworm')) return uri;
    }
    for (const line of text.split('\n')) {
      const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/.exec(line);
      if (m?.[1]) return m[1];
    }
  }
  return undefined;
}

/** What is missing to run the package test here, or undefined when it can run. */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot, dpkg in the root)';
  for (const tool of ['debootstrap', 'dpkg-deb', 'chroot', 'unshare', 'objdump']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (.ci/run installs it)`;
    }
  }
  if (!debianMirror()) return 'no Debian bookworm mirror in /etc/apt/sources.list(.d)';
  return undefined;
}

/** The cached clean root, made with debootstrap the first time (a few minutes). */
export async function cachedRoot(): Promise<string> {
  const root = join(CACHE_DIR, ROOT_STAMP);
  if (existsSync(join(root, 'etc', 'debian_version'))) return root;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Made beside the cache and renamed into place: an interrupted run leaves no half-made root.
  const building = mkdtempSync(join(CACHE_DIR, `${ROOT_STAMP}.building-`));
  try {
    await run(
      'debootstrap',
      ['--variant=minbase', `--include=${INCLUDE.join(',')}`, 'bookworm', building, debianMirror() as string],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    if (existsSync(root)) return root; // another run made it meanwhile
    renameSync(building, root);
    return root;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** Bump when the systemd root's recipe changes. */
export const SYSTEMD_ROOT_STAMP = `${ROOT_STAMP}-systemd-v1`;

/**
 * The clean root plus systemd and D-Bus, to boot with `systemd-nspawn --boot` (systemd as PID 1),
 * cached in a directory of its own so that the clean root stays as debootstrap made it.
 */
export async function cachedSystemdRoot(): Promise<string> {
  const root = join(CACHE_DIR, SYSTEMD_ROOT_STAMP);
  if (existsSync(join(root, 'lib', 'systemd', 'systemd'))) return root;
  const base = await cachedRoot();
  const building = mkdtempSync(join(CACHE_DIR, `${SYSTEMD_ROOT_STAMP}.building-`));
  try {
    await run('cp', ['-a', `${base}/.`, building]);
    chmodSync(building, 0o755);
    execFileSync('cp', ['-L', '/etc/resolv.conf', join(building, 'etc', 'resolv.conf')]);
    await inRoot(
      building,
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus',
      { timeoutMs: 600_000 },
    );
    if (existsSync(root)) return root; // another run made it meanwhile
    renameSync(building, root);
    return root;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/** A fresh copy of the cached root (or of `cached`) for one run. */
export async function freshRoot(cachedDir?: string): Promise<{ dir: string; remove(): void }> {
  const cached = cachedDir ?? (await cachedRoot());
  const parent = mkdtempSync(join(tmpdir(), 'bulwark-debian12-'));
  const dir = join(parent, 'root');
  await run('cp', ['-a', cached, dir]);
  // mkdtemp made the cached root 0700; a root directory is 0755, or no other user gets anywhere.
  chmodSync(dir, 0o755);
  // The host's resolver, so that the root reaches the network like the host does.
  execFileSync('cp', ['-L', '/etc/resolv.conf', join(dir, 'etc', 'resolv.conf')]);
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

/** Runs a shell command in the root, with /proc and /dev mounted in a private mount namespace. */
export async function inRoot(
  root: string,
  script: string,
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ stdout: string; stderr: string }> {
  const env = { ...ROOT_ENV, ...options.env };
  return await run(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', MOUNT_AND_CHROOT, 'sh', root, script],
    {
      env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

/** A long-running command in the root; `stop` sends SIGTERM and waits for it to end. */
export function spawnInRoot(
  root: string,
  script: string,
  env: Record<string, string> = {},
): { readonly pid: number | undefined; output(): string; stop(): Promise<void> } {
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', MOUNT_AND_CHROOT, 'sh', root, script],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...ROOT_ENV, ...env } },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return {
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await ended;
    },
  };
}

/** A TCP port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
