// The .deb packages on a clean Debian 12: `npm run package` builds them, dpkg installs them into a
// fresh debootstrap root (minbase: no Node.js, no npm), and the installed agent runs on its own
// runtime: `bulwark-agent --version`, an activation against a manager on this host (the root
// shares the host's network), and the daemon's start-up time and idle memory. Then the deployment
// script (`bulwark tokens create --script`) does it all again from the manager's own package.
// Root only; skipped elsewhere with the reason, except under CI=true, where it must run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startTestManager, type TestManager } from '../manager/manager-harness.js';
import { eventually, SYSTEM } from '../manager/real-agent-process.js';
import { freePort, freshRoot, inRoot, missingPrerequisite, spawnInRoot, unitService } from './debian-root.js';

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
    // Compiled code only: no TypeScript, no tsx, no esbuild in what a host runs.
    const shipped = (await inRoot(root.dir, 'dpkg -L bulwark-agent')).stdout.split('\n');
    assert.deepEqual(
      shipped.filter((path) => /\.[cm]?ts$|\/(tsx|esbuild)(\/|$)/.test(path)),
      [],
    );
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
    // As the unit starts it: its ExecStart and Environment.
    const unit = unitService(root.dir, 'bulwark-agent.service');
    const daemon = spawnInRoot(root.dir, `exec ${unit.execStart} --log-level warn`, unit.environment);
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
        `the packaged daemon applying its configuration (output: ${daemon.output().slice(-2000)})`,
      );
      // The same process all along: every step up to node execs the next.
      assert.match(readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8'), /\/opt\/bulwark\/agent\/runtime\/node/);
      const procStatus = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
      const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(procStatus)?.[1]);
      const rssKb = field('VmRSS');
      const report = {
        helpSeconds: seconds,
        idleRssMb: Math.round(rssKb / 1024),
        // File-backed pages are mostly the node binary's own code, shared with any other node.
        rssAnonMb: Math.round(field('RssAnon') / 1024),
        rssFileMb: Math.round(field('RssFile') / 1024),
        threads: field('Threads'),
      };
      writeFileSync(join(repo, 'dist', 'packaged-agent-figures.json'), `${JSON.stringify(report)}\n`);
      console.log(`# packaged agent: ${JSON.stringify(report)}`);
      assert.ok(rssKb > 0);
    } finally {
      await daemon.stop();
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

  it('dpkg installs the manager package: its user, its data directory, and a manager that serves the API, its docs and the agent package', async () => {
    copyFileSync(managerDeb, join(root.dir, 'tmp', 'manager.deb'));
    await inRoot(root.dir, 'dpkg -i /tmp/manager.deb');
    const state = await inRoot(
      root.dir,
      'getent passwd bulwark-manager; stat -c "%a %U" /var/lib/bulwark/manager; bulwark --version',
    );
    assert.match(
      state.stdout,
      /^bulwark-manager:x:\d+:\d+:.*:\/var\/lib\/bulwark\/manager:\/usr\/sbin\/nologin\n700 bulwark-manager\n/,
    );
    const [consolePort, agentPort] = [await freePort(), await freePort()];
    // As the unit runs it: its own user, its data directory, the packaged agent package beside it.
    const unit = unitService(root.dir, 'bulwark-manager.service');
    const manager = spawnInRoot(
      root.dir,
      `exec setpriv --reuid bulwark-manager --regid bulwark-manager --clear-groups ${unit.execStart} --listen-address 127.0.0.1 --console-port ${consolePort} --agent-port ${agentPort}`,
      unit.environment,
    );
    try {
      const base = `https://127.0.0.1:${consolePort}`;
      const ca = join(root.dir, 'var/lib/bulwark/manager/pki/ca.crt');
      const health = await eventually(
        () =>
          run('curl', ['-sS', '--cacert', ca, `${base}/api/health`]).then(
            (r) => r.stdout,
            () => '',
          ),
        (text) => text.includes('"ok"'),
        60_000,
        `the packaged manager answering (output: ${manager.output().slice(-2000)})`,
      );
      assert.match(health, new RegExp(`"version":"${version.replaceAll('.', '\\.')}"`));
      // The OpenAPI document comes from external packages that read their own files, and the web
      // console from files the manager's own user must be able to read.
      for (const path of ['/api/docs/json', '/api/docs/static/swagger-ui.css', '/']) {
        const docs = await run('curl', [
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--cacert',
          ca,
          `${base}${path}`,
        ]);
        assert.equal(docs.stdout, '200', path);
      }
      const deb = await run('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--cacert',
        ca,
        `${base}/agent-package/bulwark-agent_${version}_amd64.deb`,
      ]);
      assert.equal(deb.stdout, '200', 'the manager package carries the agent package and serves it');
    } finally {
      await manager.stop();
    }
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
