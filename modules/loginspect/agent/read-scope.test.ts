import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentModule, AgentModuleContext, NewEvent } from '@bulwark/protocol';
import { createLogInspectAgentFactory } from './index.js';
import { ReadScope } from './read-scope.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'loginspect-scope-')));
after(() => rmSync(root, { recursive: true, force: true }));

/** A host in miniature: `varlog` stands for /var/log, `etc/shadow` for a root-only file. */
function host() {
  const dir = mkdtempSync(join(root, 'host-'));
  const varlog = join(dir, 'varlog');
  const etc = join(dir, 'etc');
  mkdirSync(varlog);
  mkdirSync(etc);
  writeFileSync(join(etc, 'shadow'), '', { mode: 0o600 });
  writeFileSync(join(varlog, 'app.log'), '');
  symlinkSync(join(etc, 'shadow'), join(varlog, 'shadow-link'));
  symlinkSync(etc, join(varlog, 'etcdir'));
  return { dir, varlog, etc, shadow: join(etc, 'shadow'), app: join(varlog, 'app.log') };
}

function context(events: NewEvent[], dataDir: string, local: Record<string, string> = {}): AgentModuleContext {
  return {
    dataDir,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    emit: (e) => events.push(e),
    reportInventory: () => {},
    writeStateFile: (name, content) => writeFileSync(join(dataDir, name), content),
    localOptions: { source: '/etc/bulwark/agent.conf', get: (key) => local[key] },
  };
}

const everyLine = {
  id: 'all',
  decodersXml: '',
  rulesXml:
    '<group name="test,"><rule id="110200" level="7"><match>L: </match><description>any line</description></rule></group>',
};
const configuration = (files: unknown[]) => ({
  enabled: true,
  configuration: {
    minimumLevel: 5,
    sources: { files, journald: false },
    builtInGroups: [],
    custom: [everyLine],
    rejectedRules: [],
  },
});
const poll = (m: AgentModule) => (m as unknown as { poll(): void }).poll();

test('the configured pattern is checked with .. and links of its fixed part resolved', () => {
  const h = host();
  const scope = new ReadScope([h.varlog], undefined);
  assert.equal(scope.refusesPattern(h.app), undefined);
  assert.equal(scope.refusesPattern(join(h.varlog, '**', '*.log')), undefined);
  assert.equal(scope.refusesPattern(join(h.varlog, 'not-yet', 'x.log')), undefined, 'a missing file under a root');
  for (const refused of [
    h.shadow,
    `${h.varlog}/../etc/shadow`,
    join(h.varlog, 'etcdir', 'shadow'),
    join(h.varlog, 'etcdir', '*'),
    `${h.varlog}-other/x.log`,
  ])
    assert.match(scope.refusesPattern(refused) ?? '', /^refused: .*outside where the manager may read/, refused);
  const opted = new ReadScope([h.varlog], { source: 'agent.conf', get: () => ` ${h.etc}, relative/dir` });
  assert.equal(opted.refusesPattern(h.shadow), undefined);
  assert.deepEqual(opted.problems, ['loginspect.readPaths: "relative/dir" is not an absolute path, ignored']);
});

test('a link under the log root to a root-only file is refused, named in the status and told once in an event', async () => {
  const h = host();
  const events: NewEvent[] = [];
  const factory = createLogInspectAgentFactory({ readRoots: [h.varlog] });
  const m = factory.create(context(events, mkdtempSync(join(root, 'data-'))));
  await m.apply(
    configuration([
      { path: join(h.varlog, '*'), followSymlinks: true },
      h.shadow,
      `${h.varlog}/../etc/shadow`,
      join(h.varlog, 'etcdir', 'shadow'),
    ]),
    {} as never,
  );
  appendFileSync(h.shadow, 'L: root:$y$secret:19000:0:99999:7:::\n');
  appendFileSync(h.app, 'L: an ordinary line\n');
  poll(m);
  poll(m);
  const lines = events.filter((e) => e.type === 'rule-match').map((e) => e.details?.fullLog);
  assert.deepEqual(lines, ['L: an ordinary line'], 'nothing of the shadow file is shipped');
  const refused = events.filter((e) => e.type === 'source-refused');
  assert.deepEqual(
    refused.map((e) => e.details?.path).sort(),
    [`${h.varlog}/../etc/shadow`, h.shadow, join(h.varlog, 'etcdir', 'shadow'), join(h.varlog, 'shadow-link')].sort(),
  );
  for (const e of refused) assert.match(String(e.details?.reason), /loginspect\.readPaths/);
  assert.match(m.status().reason ?? '', /^5 log source problems: /);
  // Alone, the glob's refused match is named in the status with the file it leads to.
  await m.apply(configuration([{ path: join(h.varlog, '*'), followSymlinks: true }]), {} as never);
  assert.match(
    m.status().reason ?? '',
    new RegExp(`${join(h.varlog, 'shadow-link')}: refused: it is ${h.shadow}, outside`),
  );
  await m.stop();
});

test('with the host administrator opt-in the file is read', async () => {
  const h = host();
  const events: NewEvent[] = [];
  const factory = createLogInspectAgentFactory({ readRoots: [h.varlog] });
  const m = factory.create(context(events, mkdtempSync(join(root, 'data-')), { 'loginspect.readPaths': h.etc }));
  await m.apply(configuration([h.shadow]), {} as never);
  appendFileSync(h.shadow, 'L: allowed here\n');
  poll(m);
  assert.deepEqual(
    events.map((e) => e.details?.fullLog),
    ['L: allowed here'],
  );
  assert.equal(m.status().reason, undefined);
  await m.stop();
});
