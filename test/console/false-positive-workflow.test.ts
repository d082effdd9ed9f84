import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  activateFakeAgent,
  apiGet,
  apiKey,
  apiSend,
  type Browser,
  browserMissing,
  type ConsoleManager,
  createUser,
  type FakeAgent,
  openBrowser,
  signIn,
  startConsoleManager,
} from './console-harness.js';

const RULE = 'deny-fragments';
const MODE = 'platform.networkEngineMode';

/**
 * Deep Security's false-positive workflow, in the console, in a real browser against a real
 * manager: from a firewall event to its computer, network engine mode to tap, the rule, where it
 * is assigned (unassigned at the policy and at the computer), excluded from recommendations, and
 * the mode back to inherited. The API then says each change happened.
 */
describe('console: the false-positive workflow from an event', { skip: browserMissing() ?? false }, () => {
  let m: ConsoleManager;
  let browser: Browser;
  let admin: string;
  let agent: FakeAgent;
  let policyId: string;

  before(async () => {
    m = await startConsoleManager();
    admin = await apiKey(m.manager, 'administrator');
    await createUser(m.manager, 'alice', 'alice password 1', 'administrator');
    const policy = await apiSend(m.manager, admin, 'POST', '/api/policies', { name: 'Web servers' });
    policyId = policy.json.id;
    agent = await activateFakeAgent(m.manager, admin, 'web-01', policyId);
    // The rule is in force twice: at the policy and on the computer itself.
    await apiSend(m.manager, admin, 'POST', `/api/policies/${policyId}/rules`, { module: 'firewall', ruleIds: [RULE] });
    await apiSend(m.manager, admin, 'POST', `/api/computers/${agent.computerId}/rules`, {
      module: 'firewall',
      ruleIds: [RULE],
    });
    // What the firewall agent reports when the rule drops a packet (modules/firewall/engine/firewall-events.ts).
    await agent.sendEvents([
      {
        module: 'firewall',
        type: 'packet',
        severity: 'low',
        ruleId: RULE,
        action: 'Deny',
        summary: 'Deny: udp 192.0.2.7:5353 -> 198.51.100.2:5353 incoming by Deny IP fragments',
        details: {
          rule: 'Deny IP fragments',
          reason: 'rule',
          direction: 'incoming',
          protocol: 'udp',
          source: '192.0.2.7',
        },
      },
    ]);
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await m?.close();
  });

  test('event → computer → tap → rule → unassign at policy and computer → exclude → inherited', async () => {
    const { page } = browser;
    await signIn(page, m.url, 'alice', 'alice password 1');
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('tab', { name: 'Firewall' }).click();
    await page.getByTestId(`event-${RULE}`).click();
    await page.getByText('Deny IP fragments', { exact: false }).first().waitFor();
    await browser.shot('workflow-1-event');
    assert.match((await page.locator('.facts').first().textContent()) ?? '', /Action\s*Deny[\s\S]*Reason\s*rule/);

    // The computer, from the event.
    await page.getByTestId('event-computer').click();
    await page.getByRole('heading', { name: /web-01/ }).waitFor();
    await page.getByRole('tab', { name: 'Overview' }).click();
    const mode = page.getByTestId(`setting-${MODE}`);
    await mode
      .getByText(/^Inherited \(inline\) from default$|^Default \(inline\)$|Inherited \(inline\)/)
      .first()
      .waitFor();
    await mode.getByRole('combobox').selectOption('"tap"');
    await mode.getByText('(set here)').waitFor();
    await browser.shot('workflow-2-computer-tap');
    const tapped = await apiGet(m.manager, admin, `/api/computers/${agent.computerId}/settings`);
    const modeSetting = tapped.json.items.find((s: { key: string }) => s.key === MODE);
    assert.deepEqual([modeSetting.value, modeSetting.overridden], ['tap', true]);

    // The rule, from the computer's firewall tab.
    await page.getByRole('tab', { name: 'Firewall' }).click();
    await page.getByTestId(`effective-rule-${RULE}`).getByRole('link', { name: RULE }).click();
    await page.getByTestId('rule-description').waitFor();
    await browser.shot('workflow-3-rule-assigned');
    const atPolicy = page.getByTestId('assigned-policy-Web servers');
    const atComputer = page.getByTestId('assigned-computer-web-01');
    await atPolicy.getByRole('button', { name: 'Unassign' }).click();
    await atPolicy.waitFor({ state: 'detached' });
    await atComputer.getByRole('button', { name: 'Unassign' }).click();
    await atComputer.waitFor({ state: 'detached' });
    await page.getByText('Not assigned to any policy or computer.').waitFor();
    const exclude = page.getByLabel('Exclude from recommendations');
    // A click, not check(): the box is controlled by the stored value, so it changes only when the API has answered.
    await exclude.click();
    // The checkbox shows the answer of the API once the change is stored. A selector, not a
    // waitForFunction: a string predicate is eval'd in the page, which the console's CSP forbids.
    await page.locator('input[name=excludeFromRecommendations]:checked:not(:disabled)').waitFor();
    await browser.shot('workflow-4-rule-unassigned-excluded');

    // Back to the computer: the mode goes back to what the policy says.
    await page.goBack();
    await page.getByRole('heading', { name: /web-01/ }).waitFor();
    await page.getByRole('tab', { name: 'Overview' }).click();
    await mode.getByRole('combobox').selectOption({ index: 0 });
    await mode
      .getByText(/Inherited \(inline\)/)
      .first()
      .waitFor();
    await mode.getByText('(set here)').waitFor({ state: 'detached' });
    await browser.shot('workflow-5-mode-inherited');

    // What the API says now.
    const settings = await apiGet(m.manager, admin, `/api/computers/${agent.computerId}/settings`);
    const back = settings.json.items.find((s: { key: string }) => s.key === MODE);
    assert.deepEqual([back.value, back.overridden], ['inline', false]);
    const rule = await apiGet(m.manager, admin, `/api/modules/firewall/rules/${RULE}`);
    assert.deepEqual(rule.json.assignedTo, []);
    assert.equal(rule.json.excludedFromRecommendations, true);
    const effective = await apiGet(m.manager, admin, `/api/computers/${agent.computerId}/rules?module=firewall`);
    assert.ok(!effective.json.items.some((r: { id: string }) => r.id === RULE), 'the rule is no longer in force');
    const audit = await apiGet(m.manager, admin, '/api/audit-log?limit=100');
    const byAlice = audit.json.items.filter((e: { actor: { name: string } }) => e.actor.name === 'alice');
    assert.ok(
      byAlice.length >= 5,
      `the console's changes are audited as alice: ${byAlice.map((e: { action: string }) => e.action)}`,
    );
    assert.deepEqual(browser.errors, [], 'the page logged no error (CSP included)');
  });

  test('a log inspection event names a rule inside a group rule: silenced on its computer from the event', async () => {
    await apiSend(m.manager, admin, 'POST', `/api/computers/${agent.computerId}/rules`, {
      module: 'loginspect',
      ruleIds: ['loginspect.su'],
    });
    await agent.sendEvents([
      {
        module: 'loginspect',
        type: 'rule-match',
        severity: 'medium',
        ruleId: '100302',
        action: 'Log Only',
        summary: 'su: authentication failure for root',
        details: { reason: 'rule 100302 matched', log: 'su: FAILED SU (to root) bob on pts/0' },
      },
    ]);
    const { page } = browser;
    await page.goto(`${m.url}/events?module=loginspect`);
    await page.getByTestId('event-100302').click();
    await page.getByTestId('event-rule').getByText('100302 (run by loginspect.su)').waitFor();
    await page.getByRole('button', { name: 'Silence 100302 on web-01' }).click();
    await page.getByText('Silenced by loginspect.silence-100302.').waitFor();
    await browser.shot('workflow-6-loginspect-silenced');
    const rules = await apiGet(m.manager, admin, `/api/computers/${agent.computerId}/rules?module=loginspect`);
    const silencing = rules.json.items.find((r: { id: string }) => r.id === 'loginspect.silence-100302');
    assert.ok(silencing, 'the silencing rule is in force on the computer');
    assert.deepEqual(
      silencing.assignedAt.map((a: { kind: string; name: string }) => `${a.kind} ${a.name}`),
      ['computer web-01'],
    );
    assert.deepEqual(browser.errors, []);
  });
});
