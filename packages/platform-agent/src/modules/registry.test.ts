import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentModules } from './registry.js';

describe('the agent registry', () => {
  it('each entry loads the module it names, with the host commands --help lists for it', async () => {
    assert.equal(new Set(agentModules.map((e) => e.id)).size, agentModules.length, 'ids are unique');
    for (const entry of agentModules) {
      const factory = await entry.load();
      assert.equal(factory.id, entry.id);
      const own = (factory.localCommands ?? []).map(({ verb, usage, summary }) => ({ verb, usage, summary }));
      assert.deepEqual(own, [...(entry.localCommands ?? [])], `${entry.id}: the commands its entry lists for --help`);
    }
  });
});
