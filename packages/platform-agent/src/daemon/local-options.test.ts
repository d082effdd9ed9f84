import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type AgentModuleContext, securityConfiguration } from '@bulwark/protocol';
import { silentLogger } from '../log/json-logger.js';
import { ModuleRuntime } from '../modules/module-runtime.js';
import { readLocalOptions, resolveLocalOptionsPath } from './local-options.js';

const root = mkdtempSync(join(tmpdir(), 'bulwark-local-options-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh 0700 directory owned by us, as /etc/bulwark is owned by root. */
function dir(): string {
  const d = join(root, String(n++));
  mkdirSync(d, { mode: 0o700 });
  return d;
}

test('key = value lines, comments and blanks; a missing file sets nothing and is no problem', () => {
  const path = join(dir(), 'agent.conf');
  writeFileSync(path, '# local options\n\nloginspect.remoteCommands = 1\n  other.flag=yes  \nnot a line\n=x\n', {
    mode: 0o600,
  });
  const o = readLocalOptions(path);
  assert.equal(o.source, path);
  assert.equal(o.get('loginspect.remoteCommands'), '1');
  assert.equal(o.get('other.flag'), 'yes');
  assert.equal(o.get('missing.key'), undefined);
  assert.match(o.problem ?? '', /lines 5, 6 skipped \(expected <module>\.<option> = <value>\)/);
  const none = readLocalOptions(join(dir(), 'absent.conf'));
  assert.equal(none.get('loginspect.remoteCommands'), undefined);
  assert.equal(none.problem, undefined);
});

test('a file or directory that others can write, a symbolic link or a file of another user is ignored whole', () => {
  const d = dir();
  const path = join(d, 'agent.conf');
  writeFileSync(path, 'loginspect.remoteCommands=1\n', { mode: 0o600 });
  chmodSync(path, 0o666);
  const loose = readLocalOptions(path);
  assert.equal(loose.get('loginspect.remoteCommands'), undefined);
  assert.match(loose.problem ?? '', /agent\.conf is writable by group or others \(mode 666\); its options are ignored/);
  chmodSync(path, 0o600);
  chmodSync(d, 0o777);
  const looseDir = readLocalOptions(path);
  assert.equal(looseDir.get('loginspect.remoteCommands'), undefined);
  assert.match(looseDir.problem ?? '', /directory .* is writable by group or others/);
  chmodSync(d, 0o700);
  assert.equal(readLocalOptions(path).get('loginspect.remoteCommands'), '1');
  const link = join(d, 'link.conf');
  symlinkSync(path, link);
  assert.match(readLocalOptions(link).problem ?? '', /is a symbolic link; its options are ignored/);
  if (process.getuid?.() === 0) {
    chownSync(path, 1000, 1000);
    const foreign = readLocalOptions(path);
    assert.equal(foreign.get('loginspect.remoteCommands'), undefined);
    assert.match(foreign.problem ?? '', /owned by uid 1000, not root/);
  }
});

test('the path comes from the caller, else BULWARK_AGENT_CONFIG, else /etc/bulwark/agent.conf', () => {
  const saved = process.env.BULWARK_AGENT_CONFIG;
  try {
    delete process.env.BULWARK_AGENT_CONFIG;
    assert.equal(resolveLocalOptionsPath(), '/etc/bulwark/agent.conf');
    process.env.BULWARK_AGENT_CONFIG = '/srv/agent.conf';
    assert.equal(resolveLocalOptionsPath(), '/srv/agent.conf');
    assert.equal(resolveLocalOptionsPath('/x.conf'), '/x.conf');
  } finally {
    if (saved === undefined) delete process.env.BULWARK_AGENT_CONFIG;
    else process.env.BULWARK_AGENT_CONFIG = saved;
  }
});

test('the module runtime hands the local options and the manager URL to every module it creates', async () => {
  const path = join(dir(), 'agent.conf');
  writeFileSync(path, 'probe.allowed = yes\n', { mode: 0o600 });
  const seen: (AgentModuleContext['localOptions'] | null)[] = [];
  const managerUrls: (string | undefined)[] = [];
  const runtime = new ModuleRuntime({
    factories: [
      {
        id: 'probe',
        create: (context) => {
          seen.push(context.localOptions ?? null);
          managerUrls.push(context.managerUrl);
          return {
            id: 'probe',
            apply: async () => {},
            stop: async () => {},
            status: () => ({ id: 'probe', state: 'on' }),
          };
        },
      },
    ],
    dataDir: dir(),
    log: silentLogger,
    emit: () => {},
    reportInventory: () => {},
    localOptions: readLocalOptions(path),
    managerUrl: 'https://manager.example:4120',
  });
  await runtime.apply(
    securityConfiguration({
      computerId: 'c1',
      platform: {
        heartbeatIntervalSeconds: 60,
        missedHeartbeatsBeforeOffline: 3,
        networkEngineMode: 'inline',
        failMode: 'open',
        failDeadlineMilliseconds: 200,
        eventSpoolMaxEvents: 1000,
        minimumEventSeverity: 'info',
      },
      modules: { probe: { enabled: true, configuration: {} } },
    }),
  );
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.get('probe.allowed'), 'yes');
  assert.deepEqual(managerUrls, ['https://manager.example:4120']);
  await runtime.stopAll();
});
