import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentModule, ModuleSnapshot, SnapshotPage, SnapshotSource } from '@bulwark/protocol';
import type { ChannelResult } from '../channel/manager-channel.js';
import { jsonLogger } from '../log/json-logger.js';
import { SnapshotSync } from './snapshot-sync.js';

const quiet = jsonLogger({ write: () => {} });

function snapshotModule(state: { version: string; entries: number }): AgentModule & SnapshotSource {
  return {
    id: 'integrity',
    apply: async () => {},
    stop: async () => {},
    status: () => ({ id: 'integrity', state: 'on' }),
    snapshots: () => [{ name: 'etc', version: state.version }],
    readSnapshot: async (name, max): Promise<ModuleSnapshot> => ({
      name,
      version: state.version,
      total: state.entries,
      entries: Array.from({ length: Math.min(max, state.entries) }, (_, i) => ({ key: `/etc/${i}`, value: { i } })),
    }),
  };
}

/** A manager that wants whatever version it does not hold and keeps the last page of each upload. */
function fakeManager() {
  const held = new Map<string, string>();
  const pages: SnapshotPage[] = [];
  let offers = 0;
  let down = false;
  const call = async (_m: string, path: string, body: unknown): Promise<ChannelResult<never>> => {
    if (down) return { ok: false, message: 'down', retryable: true };
    if (path.endsWith('/offer')) {
      offers++;
      const { snapshots } = body as { snapshots: { module: string; name: string; version: string }[] };
      const wanted = snapshots
        .filter((s) => held.get(s.name) !== s.version)
        .map(({ module, name }) => ({ module, name }));
      return { ok: true, value: { wanted } as never };
    }
    const page = body as SnapshotPage;
    pages.push(page);
    if (page.final) held.set(page.name, page.version);
    return { ok: true, value: { stored: page.offset + page.entries.length } as never };
  };
  return {
    channel: { call },
    pages,
    offers: () => offers,
    setDown: (value: boolean) => {
      down = value;
    },
  };
}

describe('SnapshotSync', () => {
  it('offers, uploads in pages capped at the bound, and offers again only when a version changes', async () => {
    const state = { version: 'v1', entries: 12_345 };
    const manager = fakeManager();
    const sync = new SnapshotSync({
      modules: () => [snapshotModule(state)],
      channel: manager.channel as never,
      log: quiet,
      signal: new AbortController().signal,
    });
    sync.sync();
    await sync.idle();
    assert.equal(manager.pages.length, 20, '10,000 entries in pages of 500');
    assert.equal(manager.pages.at(-1)?.final, true);
    assert.equal(manager.pages.at(-1)?.total, 12_345);
    assert.equal(manager.pages.filter((p) => p.final).length, 1);

    sync.sync();
    await sync.idle();
    assert.equal(manager.offers(), 1, 'an unchanged list is not offered again');

    state.version = 'v2';
    state.entries = 3;
    manager.setDown(true);
    sync.sync();
    await sync.idle();
    manager.setDown(false);
    sync.sync();
    await sync.idle();
    const last = manager.pages.at(-1)!;
    assert.equal(last.version, 'v2');
    assert.deepEqual(
      last.entries.map((e) => e.key),
      ['/etc/0', '/etc/1', '/etc/2'],
    );
  });
});
