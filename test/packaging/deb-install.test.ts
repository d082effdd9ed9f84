// The .deb packages on a clean Debian 12: `npm run package` builds them, dpkg installs them into a
// fresh debootstrap root (minbase: no Node.js, no npm), and the installed agent runs on its own
// runtime: `bulwark-agent --version`, an activation against a manager on this host (the root
// shares the host's network), and the daemon's start-up time and idle memory. Then the deployment
// script (`bulwark tokens create --script`) does it all again from the manager's own package.
// Root only; skipped elsewhere with the reason, except under CI=true, where it must run.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTestManager, type TestManager } from '../manager/manager-harness.js';
import { eventually, SYSTEM } from '../manager/real-agent-process.js';
import { freshRoot, inRoot, missingPrerequisite } from './debian-root.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;
const agentDeb = join(repo, 'dist', `bulwark-agent_${version}_amd64.deb`);
const managerDeb = join(repo, 'dist', `bulwark-manager_${version}_amd64.deb`);
const cliBin = join(repo, 'packages/platform-manager/bin/bulwark.js');

const missing = missingPrerequisite();
if (missing !== undefined && process.env.CI === 'true')
  throw new Error(`CI=true but the package test cannot run: ${missing}`);
if (missing !== undefined) console.log(`# skipped: .deb install test: ${missing}`);

describe('the .deb packages on a clean Debian 12', { skip: missing }, () => {
  let root: { dir: string; remove(): void };
  let t: TestManager;
  let policyId: string;
  const previousPackagesDir = process.env.BULWARK_AGENT_PACKAGES_DIR;

  before(async () => {
    await run(process.execPath, [join(repo, 'packaging/build-debs.mjs')], { cwd: repo, maxBuffer: 16 * 1024 * 1024 });
    root = await freshRoot();
    process.env.BULWARK_AGENT_PACKAGES_DIR = join(repo, 'dist');
    t = await startTestManager();
    const policy = await t.manager.services.policies.create({ name: 'packaged agents' }, SYSTEM);
    assert.ok(policy.ok);
    policyId = policy.value.id;
    // Detect only: an agent under test never changes this host's firewall.
    assert.ok(
      (
        await t.manager.services.settings.set(
          { kind: 'policy', id: policyId },
          'platform.networkEngineMode',
          'tap',
          SYSTEM,
        )
      ).ok,
    );
  });

  after(async () => {
    if (previousPackagesDir === undefined) delete process.env.BULWARK_AGENT_PACKAGES_DIR;
    else process.env.BULWARK_AGENT_PACKAGES_DIR = previousPackagesDir;
    await t?.close();
    root?.remove();
  });

  it('dpkg installs the agent package with no Node.js on the host, and it runs on its own runtime', async () => {
    const none = await inRoot(root.dir, 'command -v node nodejs npm || echo none');
    assert.equal(none.stdout.trim(), 'none');
    copyFileSync(agentDeb, join(root.dir, 'tmp', 'agent.deb'));
    await inRoot(root.dir, 'dpkg -i /tmp/agent.deb');
    const shown = await inRoot(root.dir, 'bulwark-agent --version');
    assert.match(shown.stdout, new RegExp(`\\b${version.replaceAll('.', '\\.')}\\b`));
    const state = await inRoot(
      root.dir,
      'stat -c "%a %U" /var/lib/bulwark/agent; ls /lib/systemd/system/bulwark-agent.service',
    );
    assert.match(state.stdout, /^700 root\n\/lib\/systemd\/system\/bulwark-agent.service/);
  });

  it('the installed agent activates against a manager on the host, with the CA fingerprint pinned', async () => {
    const token = await t.manager.services.activationTokens.create({ name: 'packaged', policyId, maxUses: 1 }, SYSTEM);
    assert.ok(token.ok);
    await inRoot(
      root.dir,
      `bulwark-agent activate --manager ${t.manager.agentUrl} --ca-fingerprint ${t.manager.caFingerprint}`,
      { env: { BULWARK_ACTIVATION_TOKEN: token.value.token } },
    );
    const status = JSON.parse((await inRoot(root.dir, 'bulwark-agent status --json')).stdout) as {
      activated: boolean;
      computerId: string;
    };
    assert.equal(status.activated, true);
    const computer = await t.manager.services.computers.get(status.computerId);
    assert.ok(computer.ok, 'the manager knows the computer the packaged agent activated as');
  });

  it('the installed daemon reaches the manager; its start-up time and idle memory are reported', async () => {
    // Wall time of `bulwark-agent --help` in the root (chroot and namespace set-up included).
    const seconds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await inRoot(root.dir, 'bulwark-agent --help >/dev/null');
      seconds.push(Math.round(performance.now() - started) / 1000);
    }
    const daemon: ChildProcess = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && exec chroot "$1" bulwark-agent run --log-level warn',
        'sh',
        root.dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    daemon.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    daemon.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    try {
      const status = JSON.parse((await inRoot(root.dir, 'bulwark-agent status --json')).stdout) as {
        computerId: string;
      };
      await eventually(
        async () => {
          const c = await t.manager.services.computers.get(status.computerId);
          return c.ok ? c.value : null;
        },
        (c) => c !== null && c.lastHeartbeatAt !== null && c.status === 'managed',
        90_000,
        `the packaged daemon applying its configuration (output: ${output.slice(-2000)})`,
      );
      const pid = (
        await run('pgrep', ['-f', '-n', '/opt/bulwark/agent/runtime/node .*bulwark-agent.js run'])
      ).stdout.trim();
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      const report = { helpSeconds: seconds, idleRssMb: Math.round(rssKb / 1024) };
      writeFileSync(join(repo, 'dist', 'packaged-agent-figures.json'), `${JSON.stringify(report)}\n`);
      console.log(
        `# packaged agent: --help ${seconds.join(' ')} s; daemon RSS ${report.idleRssMb} MB with its configuration applied`,
      );
      assert.ok(rssKb > 0);
    } finally {
      daemon.kill('SIGTERM');
      if (daemon.exitCode === null) await new Promise((resolve) => daemon.once('exit', resolve));
    }
  });

  it('the manager serves the agent package, and says clearly when it has none', async () => {
    const base = t.manager.consoleUrl;
    const ca = join(t.dataDir, 'pki', 'ca.crt');
    const found = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download}',
      '--cacert',
      ca,
      `${base}/agent-package/bulwark-agent_${version}_amd64.deb`,
    ]);
    assert.equal(found.stdout, `200 ${readFileSync(agentDeb).length}`);
    const absent = await run('curl', [
      '-sS',
      '--cacert',
      ca,
      `${base}/agent-package/bulwark-agent_0.0.0-none_amd64.deb`,
    ]);
    assert.match(absent.stdout, /"status":404/);
    assert.match(absent.stdout, /no agent package bulwark-agent_0\.0\.0-none_amd64\.deb on this manager: put it in /);
  });

  it('the deployment script from `bulwark tokens create --script` installs and activates an agent on a clean host', async () => {
    const fresh = await freshRoot();
    try {
      const args = [
        'tokens',
        'create',
        '--max-uses',
        '1',
        '--policy',
        policyId,
        '--script',
        '--agent-url',
        t.manager.agentUrl,
      ];
      const created = await run(process.execPath, [cliBin, ...args], {
        env: {
          ...process.env,
          BULWARK_MANAGER: t.manager.consoleUrl,
          BULWARK_API_KEY: t.keys.administrator,
          BULWARK_CA: t.manager.caFingerprint,
        },
      }).catch((error) => assert.fail(`tokens create --script failed: ${error.stderr}`));
      assert.match(created.stdout, /^#!\/bin\/sh/);
      writeFileSync(join(fresh.dir, 'root', 'deploy.sh'), created.stdout);
      const deployed = await inRoot(fresh.dir, 'sh /root/deploy.sh', { timeoutMs: 180_000 });
      assert.match(deployed.stdout, /activated/);
      const status = JSON.parse((await inRoot(fresh.dir, 'bulwark-agent status --json')).stdout) as {
        activated: boolean;
      };
      assert.equal(status.activated, true);
    } finally {
      fresh.remove();
    }
  });
});
