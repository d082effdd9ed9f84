// The packaged units under a live systemd: the clean Debian 12 root with systemd and D-Bus
// (cached apart from the clean root) booted by `systemd-nspawn --boot`, so that systemd is PID 1
// in its own PID and mount namespaces (the host's network is shared), the two .debs installed
// in it, then as an administrator would: `systemctl start bulwark-manager`, an activation,
// `systemctl start bulwark-agent`, the hardening options accepted (`systemd-analyze security`),
// the agent managed, its memory as the unit runs it, and a killed agent brought back by Restart=.
// Root only; skipped with the reason when systemd-nspawn, nsenter or a cgroup file system is
// missing; required under CI=true.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { eventually } from '../manager/real-agent-process.js';
import { cachedSystemdRoot, freePort, freshRoot, inRoot, missingPrerequisite } from './debian-root.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;
const debs = ['bulwark-agent', 'bulwark-manager'].map((name) => join(repo, 'dist', `${name}_${version}_amd64.deb`));

function missingSystemd(): string | undefined {
  const base = missingPrerequisite();
  if (base !== undefined) return base;
  for (const tool of ['systemd-nspawn', 'nsenter']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (Debian packages systemd-container and util-linux; .ci/run installs them)`;
    }
  }
  if (!existsSync('/sys/fs/cgroup/unified') && !existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return 'no cgroup file system under /sys/fs/cgroup: systemd cannot run as PID 1 in a container';
  return undefined;
}

const missing = missingSystemd();
if (missing !== undefined && process.env.CI === 'true')
  throw new Error(`CI=true but the systemd unit test cannot run: ${missing}`);
if (missing !== undefined) console.log(`# skipped: packaged units under systemd: ${missing}`);

/** A root booted by systemd-nspawn; commands run in it through nsenter into its PID 1's namespaces. */
class BootedRoot {
  readonly #nspawn: ChildProcess;
  readonly #leader: number;
  readonly #output: () => string;

  private constructor(nspawn: ChildProcess, leader: number, output: () => string) {
    this.#nspawn = nspawn;
    this.#leader = leader;
    this.#output = output;
  }

  static async boot(dir: string, machine: string): Promise<BootedRoot> {
    const nspawn = spawn(
      'systemd-nspawn',
      // No machined or systemd on the host: do not register, stay in the test's own cgroup.
      ['--directory', dir, '--boot', '--register=no', '--keep-unit', `--machine=${machine}`, '--console=passive'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    nspawn.stdout?.on('data', keep);
    nspawn.stderr?.on('data', keep);
    const leader = await eventually(
      async () => {
        if (nspawn.exitCode !== null) assert.fail(`systemd-nspawn ended: ${output}`);
        return systemdUnder(nspawn.pid as number);
      },
      (pid) => pid !== undefined,
      60_000,
      `systemd starting in the container (nspawn: ${output})`,
    );
    const booted = new BootedRoot(nspawn, leader as number, () => output);
    await eventually(
      () => booted.exec('systemctl is-system-running || true').then((r) => r.stdout.trim()),
      (state) => state === 'running' || state === 'degraded',
      120_000,
      'the container reaching multi-user (systemctl is-system-running)',
    );
    return booted;
  }

  exec(script: string, timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
    return run('nsenter', ['--target', String(this.#leader), '--all', '/bin/sh', '-c', script], {
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  output(): string {
    return this.#output();
  }

  /** Powers the container off (nspawn turns SIGTERM into an orderly shutdown); killed after 60 s. */
  async stop(): Promise<void> {
    if (this.#nspawn.exitCode !== null || this.#nspawn.signalCode !== null) return;
    const ended = new Promise((resolve) => this.#nspawn.once('exit', resolve));
    this.#nspawn.kill('SIGTERM');
    const timer = setTimeout(() => this.#nspawn.kill('SIGKILL'), 60_000);
    await ended;
    clearTimeout(timer);
  }
}

/** The container's systemd: the process named systemd among nspawn's descendants. */
function systemdUnder(pid: number): number | undefined {
  const queue = [pid];
  while (queue.length > 0) {
    const at = queue.shift() as number;
    let children: number[] = [];
    try {
      for (const task of execFileSync('ls', [`/proc/${at}/task`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean))
        children = children.concat(
          readFileSync(`/proc/${at}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
        );
    } catch {
      continue;
    }
    for (const child of children) {
      try {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd') return child;
      } catch {}
      queue.push(child);
    }
  }
  return undefined;
}

describe('the packaged units under a live systemd (systemd-nspawn --boot)', { skip: missing }, () => {
  let root: { dir: string; remove(): void };
  let container: BootedRoot | undefined;
  let consolePort: number;
  let agentPort: number;
  let computerId: string;
  const machine = `bulwark-units-${process.pid}`;

  before(async () => {
    await run(process.execPath, [join(repo, 'packaging/build-debs.mjs')], { cwd: repo, maxBuffer: 16 * 1024 * 1024 });
    root = await freshRoot(await cachedSystemdRoot());
    for (const [i, deb] of debs.entries()) copyFileSync(deb as string, join(root.dir, 'tmp', `${i}.deb`));
    // Installed before boot, as on a host imaged with them: postinst only enables the units.
    await inRoot(root.dir, 'dpkg -i /tmp/0.deb /tmp/1.deb');
    [consolePort, agentPort] = [await freePort(), await freePort()];
    // The host's network is shared: the manager listens on free ports of this machine's loopback.
    const dropIn = join(root.dir, 'etc/systemd/system/bulwark-manager.service.d');
    mkdirSync(dropIn, { recursive: true });
    writeFileSync(
      join(dropIn, 'test-ports.conf'),
      `[Service]\nExecStart=\nExecStart=/usr/bin/bulwark-manager --data-dir /var/lib/bulwark/manager --listen-address 127.0.0.1 --console-port ${consolePort} --agent-port ${agentPort}\n`,
    );
    container = await BootedRoot.boot(root.dir, machine);
  });

  after(async () => {
    await container?.stop();
    root?.remove();
  });

  const inContainer = (script: string, timeoutMs?: number) => (container as BootedRoot).exec(script, timeoutMs);

  it('systemctl starts the manager under its own user with its hardening accepted', async () => {
    await inContainer('systemctl start bulwark-manager');
    const ca = '/var/lib/bulwark/manager/pki/ca.crt';
    await eventually(
      () =>
        inContainer(`curl -sS --cacert ${ca} https://127.0.0.1:${consolePort}/api/health`).then(
          (r) => r.stdout,
          () => '',
        ),
      (text) => text.includes('"ok"'),
      90_000,
      'the manager answering under systemd',
    );
    const shown = await inContainer('systemctl show -p User -p ActiveState -p SubState bulwark-manager');
    assert.match(shown.stdout, /ActiveState=active/);
    assert.match(shown.stdout, /User=bulwark-manager/);
  });

  it('an activated agent started by systemctl becomes managed; its hardening is accepted and scored', async () => {
    const key = JSON.parse(
      (
        await inContainer(
          'runuser -u bulwark-manager -- bulwark-manager create-api-key --role administrator --name units-test --data-dir /var/lib/bulwark/manager --json',
        )
      ).stdout,
    ) as { key: string };
    const cli = `BULWARK_MANAGER=https://127.0.0.1:${consolePort} BULWARK_API_KEY=${key.key} BULWARK_CA=/var/lib/bulwark/manager/pki/ca.crt bulwark --json`;
    const token = JSON.parse((await inContainer(`${cli} tokens create --max-uses 1`)).stdout) as { token: string };
    await inContainer(`bulwark-agent activate --manager https://127.0.0.1:${agentPort} --token ${token.token}`);
    await inContainer('systemctl start bulwark-agent');
    const status = await eventually(
      () => inContainer('bulwark-agent status --json').then((r) => JSON.parse(r.stdout) as Record<string, unknown>),
      (s) => s.daemon === 'running' && typeof s.appliedConfigurationVersion === 'string',
      120_000,
      'the agent under systemd applying its configuration',
    );
    computerId = status.computerId as string;
    const computer = await eventually(
      () => inContainer(`${cli} computers show ${computerId}`).then((r) => JSON.parse(r.stdout) as { status: string }),
      (c) => c.status === 'managed',
      120_000,
      'the manager reporting the computer managed',
    );
    assert.equal(computer.status, 'managed');
    assert.equal((await inContainer('systemctl is-active bulwark-agent')).stdout.trim(), 'active');
    // Every option of the unit is known to this systemd (an unknown one is logged and ignored).
    const verify = await inContainer(
      'systemd-analyze verify bulwark-agent.service bulwark-manager.service 2>&1 || true',
    );
    assert.doesNotMatch(verify.stdout, /Unknown (key|section)|Failed to parse/, verify.stdout);
    const journal = await inContainer('journalctl -u bulwark-agent --no-pager -o cat');
    assert.match(journal.stdout, /agent starting/);
    const security = await inContainer(
      'systemd-analyze security --no-pager bulwark-agent.service bulwark-manager.service',
    );
    const scores = [...security.stdout.matchAll(/Overall exposure level for (\S+): ([\d.]+) (\S+)/g)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}`,
    );
    assert.equal(scores.length, 2, security.stdout.slice(-2000));
    const pid = (await inContainer('systemctl show -p MainPID --value bulwark-agent')).stdout.trim();
    const rss = (await inContainer(`grep -E '^(VmRSS|RssAnon|RssFile|Threads)' /proc/${pid}/status`)).stdout;
    console.log(`# systemd-analyze security: ${scores.join('; ')}`);
    console.log(`# agent under systemd (default policy): ${rss.replace(/\s+/g, ' ').trim()}`);
  });

  it('a killed agent is started again by the unit (Restart=on-failure) and is managed again', async () => {
    const pidOf = async () => (await inContainer('systemctl show -p MainPID --value bulwark-agent')).stdout.trim();
    const first = await pidOf();
    assert.notEqual(first, '0');
    await inContainer('systemctl kill --signal=SIGKILL bulwark-agent');
    await eventually(
      async () => ({
        pid: await pidOf(),
        active: (await inContainer('systemctl is-active bulwark-agent || true')).stdout.trim(),
      }),
      (s) => s.active === 'active' && s.pid !== '0' && s.pid !== first,
      60_000,
      'systemd restarting the killed agent',
    );
    const restarts = (await inContainer('systemctl show -p NRestarts --value bulwark-agent')).stdout.trim();
    assert.equal(restarts, '1');
    const status = await eventually(
      () => inContainer('bulwark-agent status --json').then((r) => JSON.parse(r.stdout) as Record<string, unknown>),
      (s) => s.daemon === 'running' && typeof s.appliedConfigurationVersion === 'string',
      120_000,
      'the restarted agent running with its configuration',
    );
    assert.equal(status.computerId, computerId);
    // A clean stop is not restarted.
    await inContainer('systemctl stop bulwark-agent');
    assert.equal((await inContainer('systemctl is-active bulwark-agent || true')).stdout.trim(), 'inactive');
  });
});
