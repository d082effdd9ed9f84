import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS } from './commands/index.js';

const doc = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');

/** Each command the Commands table of docs/cli.md names (first column, each backticked span), with its rows. */
function documentedCommands(): Map<string, string> {
  const start = doc.indexOf('\n## Commands');
  assert.ok(start >= 0, 'docs/cli.md has a Commands section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const found = new Map<string, string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.slice(1).split(/(?<!\\)\|/)[0]!;
    for (const [, span] of firstCell.matchAll(/`([^`]+)`/g)) {
      const [group, names] = span!.split(/\s+/);
      for (const name of (names ?? '').split('\\|')) {
        // A command may have several rows (`tokens create`, then `tokens create … --script`).
        const key = `${group} ${name}`.trim();
        found.set(key, `${found.get(key) ?? ''}${line}\n`);
      }
    }
  }
  return found;
}

test('docs/cli.md documents every command, and no command that does not exist', () => {
  const documented = documentedCommands();
  const actual = new Set(COMMANDS.map((c) => `${c.group} ${c.name}`.trim()));
  assert.deepEqual(
    [...actual].filter((c) => !documented.has(c)),
    [],
    'commands missing from docs/cli.md',
  );
  assert.deepEqual(
    [...documented.keys()].filter((c) => !actual.has(c)),
    [],
    'docs/cli.md names commands the CLI does not have',
  );
});

test("docs/cli.md names every command's options", () => {
  const documented = documentedCommands();
  const missing: string[] = [];
  for (const c of COMMANDS) {
    const key = `${c.group} ${c.name}`.trim();
    let row = documented.get(key) ?? '';
    // `[filters]` stands for the filters of `events list`, as the row says.
    if (row.includes('[filters]')) row += documented.get('events list') ?? '';
    for (const [flagText] of c.optionHelp) {
      const option = flagText.split(/[ ,]/)[0]!;
      if (!row.includes(option)) missing.push(`${key} ${option}`);
    }
  }
  assert.deepEqual(missing, []);
});
