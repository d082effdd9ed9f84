import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileRuleset, LogInspectionEngine } from '@bulwark/module-loginspect/engine';
import { builtInRuleset, type LogInspectConfiguration } from '@bulwark/module-loginspect/manager';
import { managerModules } from '../../modules/registry.js';
import { SYSTEM_ACTOR } from '../../services/roles.js';
import { activateComputer, must } from '../../services/test-services.js';
import { type CliConsole, openCliConsole } from '../cli-test-console.js';

const FAILED_SU = 'Nov 18 12:00:01 web-01 su[902]: FAILED su for root by mallory';

/** Whether the agent's engine, given the compiled configuration's custom rules, raises an alert for the line. */
function alerts(configuration: LogInspectConfiguration, line: string): boolean {
  const base = builtInRuleset();
  const { ruleset, problems } = compileRuleset({
    decoders: [
      ...base.decoders,
      ...configuration.custom.map((c) => ({ name: `${c.id}/d.xml`, content: c.decodersXml })),
    ],
    rules: [...base.rules, ...configuration.custom.map((c) => ({ name: `${c.id}/r.xml`, content: c.rulesXml }))],
  });
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error'),
    [],
  );
  return new LogInspectionEngine(ruleset).process({ line, location: '/var/log/auth.log', time: Date.now() }).alert;
}

// A log inspection event names rule 100302; what one assigns is the group rule loginspect.su.
describe('bulwark: from a log inspection event to the rule to assign or silence', () => {
  let cli: CliConsole;
  let computerId: string;
  before(async () => {
    cli = await openCliConsole(managerModules);
    const policy = must(await cli.t.services.policies.create({ name: 'Linux Server' }, SYSTEM_ACTOR));
    computerId = await activateComputer(cli.t.services, 'web-1', policy.id);
  });
  after(() => cli?.close());

  const loginspectConfiguration = async () =>
    must(await cli.t.services.configuration.compile(computerId)).modules.loginspect!
      .configuration as LogInspectConfiguration;

  it('events list names the group rule; rules show takes the event rule id and points to its group', async () => {
    must(
      await cli.t.services.events.ingest(computerId, [
        {
          seq: 1,
          time: '2026-01-01T00:00:00.000Z',
          module: 'loginspect',
          type: 'rule-match',
          severity: 'low',
          ruleId: '100302',
          summary: 'su: failed attempt to become root.',
          details: { level: 5, groups: ['su', 'authentication_failed'] },
        },
      ]),
    );
    const listed = await cli.run('events', 'list', '--since', '2025-12-01T00:00:00Z');
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /web-1\s+loginspect\s+100302 \(loginspect\.su\)/);
    const json = await cli.json('events', 'list', '--since', '2025-12-01T00:00:00Z');
    assert.equal((json.value as { assignableRuleId: string }[])[0]?.assignableRuleId, 'loginspect.su');

    const shown = await cli.run('rules', 'show', 'loginspect', '100302');
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^100302 \(su: failed attempt to become \$\(dstuser\)\.\) is a rule inside loginspect\.su/);
    assert.match(shown.out, /rules silence --policy P loginspect 100302/);
    const detail = (await cli.json('rules', 'show', 'loginspect', '100302')).value as {
      id: string;
      innerRule: { id: string; assignableRuleId: string; details: { level: number } };
    };
    assert.equal(detail.id, 'loginspect.su');
    assert.equal(detail.innerRule.assignableRuleId, 'loginspect.su');
    assert.equal(detail.innerRule.details.level, 5);
    const missing = await cli.run('rules', 'show', 'loginspect', '999999');
    assert.equal(missing.code, 4);

    // Assigning or excluding by the event's rule id says which rule to use.
    const assign = await cli.run('rules', 'assign', '--policy', 'Linux Server', 'loginspect', '100302');
    assert.equal(assign.code, 4);
    assert.match(assign.err, /100302 is a rule inside loginspect\.su: use that rule, or silence it alone/);
    const exclude = await cli.run('rules', 'exclude', 'loginspect', '100302');
    assert.match(exclude.err, /100302 is a rule inside loginspect\.su/);
  });

  it('rules silence stops that one rule where it is assigned, the rest of the group keeps alerting; --off ends it', async () => {
    assert.equal((await cli.run('rules', 'assign', '--policy', 'Linux Server', 'loginspect', 'loginspect.su')).code, 0);
    assert.equal(alerts(await loginspectConfiguration(), FAILED_SU), true, 'before: the failed su alerts');

    const silenced = await cli.json('rules', 'silence', '--policy', 'Linux Server', 'loginspect', '100302');
    assert.equal(silenced.code, 0, silenced.err);
    assert.deepEqual(silenced.value, {
      module: 'loginspect',
      ruleId: '100302',
      silencingRuleId: 'loginspect.silence-100302',
      silenced: true,
      created: true,
      changedComputerIds: [computerId],
    });
    const configuration = await loginspectConfiguration();
    assert.deepEqual(configuration.rejectedRules, []);
    assert.deepEqual(
      configuration.custom.map((c) => c.id),
      ['loginspect.silence-100302'],
    );
    assert.equal(alerts(configuration, FAILED_SU), false, 'silenced');
    assert.equal(
      alerts(configuration, 'Nov 18 12:00:01 web-01 su[901]: (to root) alice on pts/1'),
      true,
      'the rest of loginspect.su still alerts',
    );
    const effective = await cli.run('rules', 'effective', '--computer', 'web-1', '--module', 'loginspect');
    assert.match(effective.out, /loginspect\.silence-100302\s+Silences rule 100302/);

    const again = await cli.json('rules', 'silence', '--computer', 'web-1', 'loginspect', '100302');
    assert.equal(again.code, 0, again.err);
    assert.equal((again.value as { created: boolean }).created, false, 'the silencing rule is made once');

    assert.equal((await cli.run('rules', 'silence', '--off', '--computer', 'web-1', 'loginspect', '100302')).code, 0);
    assert.equal(
      (await cli.run('rules', 'silence', '--off', '--policy', 'Linux Server', 'loginspect', '100302')).code,
      0,
    );
    assert.equal(alerts(await loginspectConfiguration(), FAILED_SU), true, 'after --off it alerts again');
  });

  it('refuses what cannot be silenced, saying why', async () => {
    const notBuiltIn = await cli.run('rules', 'silence', '--policy', 'Linux Server', 'loginspect', '555');
    assert.equal(notBuiltIn.code, 1);
    assert.match(notBuiltIn.err, /555 is not a built-in log inspection rule/);
    const noSingleRules = await cli.run('rules', 'silence', '--policy', 'Linux Server', 'firewall', 'deny-all-in');
    assert.equal(noSingleRules.code, 1);
    assert.match(noSingleRules.err, /the firewall module has no single rules to silence/);
  });
});
