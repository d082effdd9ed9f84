// Run by bad-input.test.ts without the capabilities that bypass file modes: applies a rule over a tree with an
// unreadable file and an unreadable directory and prints the module status as JSON.
import { fileRule, harness } from './harness.js';

const [root, dataDir] = process.argv.slice(2);
const h = harness(dataDir!);
await h.apply([fileRule('unreadable', root!)], { realTime: false });
if (h.module.status().state !== 'on') {
  process.stderr.write(JSON.stringify(h.module.status()));
  process.exit(1);
}
const scan = await h.module.run('scan', {});
process.stdout.write(JSON.stringify({ status: h.module.status(), scan, events: h.events.map((e) => e.type) }));
await h.module.stop();
