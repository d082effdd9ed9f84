import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { call } from '../manager/manager-harness.js';
import {
  activateFakeAgent,
  apiGet,
  apiKey,
  apiSend,
  browserMissing,
  type ConsoleManager,
  createUser,
  type FakeAgent,
  openBrowser,
  signIn,
  startConsoleManager,
} from './console-harness.js';

const EDIT_BUTTONS =
  /^(Unassign|Unassign here|Assign|Set here|Create|Create user|Create key|Create token|Delete|Revoke|Acknowledge|Clear|Recommendation scan|Check status|Send test|Enable|Disable|Add destination|Set overrides)$|: /;

/** Controls that change something: buttons named so, setting and policy selects, the exclusion box, the module commands. */
async function editControls(page: Page): Promise<number> {
  const buttons = await page.locator('main').getByRole('button', { name: EDIT_BUTTONS }).count();
  const fields = await page
    .locator(
      'main [data-testid^="setting-"] select, main [data-testid^="setting-"] input, main input[name=excludeFromRecommendations], main dl select[aria-label=Policy], main input[aria-label="New policy name"], main input[aria-label=Overrides]',
    )
    .count();
  return buttons + fields;
}

describe('console: sign-in, roles, layout', { skip: browserMissing() ?? false }, () => {
  let m: ConsoleManager;
  let admin: string;
  let agent: FakeAgent;
  let policyId: string;

  before(async () => {
    m = await startConsoleManager();
    admin = await apiKey(m.manager, 'administrator');
    await createUser(m.manager, 'alice', 'alice password 1', 'administrator');
    await createUser(m.manager, 'otto', 'otto password 1', 'operator');
    await createUser(m.manager, 'audrey', 'audrey password 1', 'auditor');
    const policy = await apiSend(m.manager, admin, 'POST', '/api/policies', { name: 'Databases' });
    policyId = policy.json.id;
    agent = await activateFakeAgent(m.manager, admin, 'db-01', policyId);
    await apiSend(m.manager, admin, 'POST', `/api/policies/${policyId}/rules`, {
      module: 'firewall',
      ruleIds: ['deny-syn-fin'],
    });
    await agent.sendEvents(
      [1, 2, 3].map((n) => ({
        module: 'firewall',
        type: 'packet',
        severity: 'low',
        ruleId: 'deny-syn-fin',
        action: 'Detect Only: Deny',
        summary: `Detect Only: Deny: tcp 192.0.2.${n}:1 -> 198.51.100.2:80 incoming by Deny TCP SYN-FIN`,
        details: { reason: 'rule', source: `192.0.2.${n}` },
      })),
    );
  });
  after(async () => {
    await m?.close();
  });

  test('the first administrator must replace the printed password before anything else', async () => {
    const browser = await openBrowser();
    try {
      const { page } = browser;
      await signIn(page, m.url, 'admin', 'not the password');
      await page.getByRole('alert').getByText('wrong username or password').waitFor();
      await signIn(page, m.url, 'admin', m.adminPassword);
      await page.getByRole('heading', { name: 'Change password' }).waitFor();
      await browser.shot('sign-in-1-forced-password-change');
      // Nothing else is reachable until then.
      await page.goto(`${m.url}/computers`);
      await page.getByRole('heading', { name: 'Change password' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Computers' }).count(), 0);
      await page.getByLabel('Current password').fill(m.adminPassword);
      await page.getByLabel('New password (at least 8 characters)').fill('a new admin password');
      await page.getByLabel('New password again').fill('a new admin password');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByTestId('signed-in-as').getByText('admin · administrator').waitFor();
      // The page asked for before opens now.
      await page.getByRole('heading', { name: 'Computers' }).waitFor();
      await browser.shot('sign-in-2-after-password-change');
      const old = await call(`${m.url}/api/sessions`, {
        body: { username: 'admin', password: m.adminPassword },
        ca: m.manager.caCertPem,
      });
      assert.equal(old.status, 401, 'the printed password no longer works');
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });

  test('an auditor sees no edit controls where an administrator does, and the API refuses the auditor anyway', async () => {
    const pages = [
      `/computers/${agent.computerId}`,
      `/computers/${agent.computerId}?tab=firewall`,
      `/policies/${policyId}?tab=platform`,
      `/policies/${policyId}?tab=firewall`,
      '/rules/firewall/deny-syn-fin',
    ];
    const counts: Record<string, Record<string, number>> = {};
    for (const [user, password] of [
      ['alice', 'alice password 1'],
      ['audrey', 'audrey password 1'],
    ] as const) {
      const browser = await openBrowser();
      try {
        const { page } = browser;
        await signIn(page, m.url, user, password);
        await page.getByTestId('signed-in-as').waitFor();
        counts[user] = {};
        for (const path of pages) {
          await page.goto(`${m.url}${path}`);
          await page.locator('main h1').first().waitFor();
          // Wait for the page's data: a settings table or the rule's assignments.
          await page
            .locator(
              'main [data-testid^="setting-"], main [data-testid^="assigned-"], main [data-testid^="effective-rule-"]',
            )
            .first()
            .waitFor();
          counts[user][path] = await editControls(page);
        }
        await page.goto(`${m.url}${pages[0]}`);
        await page.locator('main [data-testid^="setting-"]').first().waitFor();
        await browser.shot(`roles-${user}-computer`);
        if (user === 'audrey') {
          // No administration tab but the audit log and what reads; the API refuses a change from this session.
          await page.getByRole('link', { name: 'Administration' }).click();
          await page.getByRole('tab', { name: 'Audit log' }).waitFor();
          assert.equal(await page.getByRole('tab', { name: 'Users' }).count(), 0);
          // The page's own fetch, with the session's cookie and CSRF token (DOM code: a string here).
          const status = await page.evaluate<number>(
            `fetch('/api/computers/${agent.computerId}/settings/platform.networkEngineMode', { method: 'PUT', headers: { 'content-type': 'application/json', 'x-csrf-token': sessionStorage.getItem('bulwark.csrf') ?? '' }, body: JSON.stringify({ value: 'tap' }) }).then((answer) => answer.status)`,
          );
          assert.equal(status, 403);
        }
        assert.deepEqual(browser.errors, []);
      } finally {
        await browser.close();
      }
    }
    for (const path of pages) {
      assert.ok((counts.alice?.[path] ?? 0) > 0, `an administrator has edit controls on ${path}`);
      assert.equal(counts.audrey?.[path], 0, `an auditor has none on ${path}`);
    }
  });

  test('an operator changes a computer but not a policy', async () => {
    const browser = await openBrowser();
    try {
      const { page } = browser;
      await signIn(page, m.url, 'otto', 'otto password 1');
      await page.getByTestId('signed-in-as').waitFor();
      await page.goto(`${m.url}/policies/${policyId}?tab=platform`);
      await page.locator('main [data-testid^="setting-"]').first().waitFor();
      assert.equal(await editControls(page), 0, 'policies are for administrators');
      await page.goto(`${m.url}/computers/${agent.computerId}`);
      const mode = page.getByTestId('setting-platform.networkEngineMode');
      await mode.getByRole('combobox').selectOption('"tap"');
      await mode.getByText('(set here)').waitFor();
      const settings = await apiGet(m.manager, admin, `/api/computers/${agent.computerId}/settings`);
      assert.equal(
        settings.json.items.find((s: { key: string }) => s.key === 'platform.networkEngineMode').value,
        'tap',
      );
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });

  test('dashboard, computers and events fit a laptop and a wide monitor, with real counts', async () => {
    for (const viewport of [
      { width: 1366, height: 768 },
      { width: 2560, height: 1440 },
    ]) {
      const browser = await openBrowser(viewport);
      try {
        const { page } = browser;
        await signIn(page, m.url, 'alice', 'alice password 1');
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
        await page.getByTestId('top-rules').getByText('deny-syn-fin').waitFor();
        assert.match((await page.getByTestId('top-rules').textContent()) ?? '', /firewall\s*deny-syn-fin\s*3/);
        await page.locator('.recharts-surface').first().waitFor();
        assert.match((await page.getByTestId('computers-by-status').textContent()) ?? '', /updates-pending\s*1/);
        const name = `${viewport.width}x${viewport.height}`;
        await browser.shot(`layout-${name}-dashboard`);
        for (const [path, ready] of [
          ['/computers', 'computer-db-01'],
          ['/events?module=firewall', 'event-deny-syn-fin'],
        ] as const) {
          await page.goto(`${m.url}${path}`);
          await page.getByTestId(ready).first().waitFor();
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
          assert.ok(overflow <= 0, `${path} at ${name} scrolls sideways by ${overflow}px`);
          await browser.shot(`layout-${name}${path.split('?')[0]?.replaceAll('/', '-')}`);
        }
        assert.deepEqual(browser.errors, []);
      } finally {
        await browser.close();
      }
    }
  });

  test('administration: an activation token with its install command, a user, an API key', async () => {
    const browser = await openBrowser();
    try {
      const { page } = browser;
      await signIn(page, m.url, 'alice', 'alice password 1');
      await page.getByRole('link', { name: 'Administration' }).click();
      await page.getByRole('tab', { name: 'Activation tokens' }).click();
      await page.getByLabel('Token name').fill('web farm');
      await page.getByLabel('Token policy').selectOption({ label: 'Databases' });
      await page.getByRole('button', { name: 'Create token' }).click();
      const command = (await page.getByTestId('activate-command').textContent()) ?? '';
      assert.match(command, /^bulwark-agent activate --manager https:\/\/127\.0\.0\.1:\d+ --token \S+$/);
      await page.getByRole('link', { name: 'Download deploy-bulwark-agent.sh' }).waitFor();
      await browser.shot('admin-activation-token');
      const tokens = await apiGet(m.manager, admin, '/api/activation-tokens');
      const made = tokens.json.items.find((t: { name: string | null }) => t.name === 'web farm');
      assert.equal(made.policyId, policyId);
      assert.ok(!tokens.text.includes(command.split('--token ')[1] ?? '-'), 'the token is shown once, never listed');

      await page.getByRole('tab', { name: 'Users' }).click();
      await page.getByLabel('New user name').fill('carol');
      await page.getByLabel('New user password').fill('carol password 1');
      await page.getByLabel('New user role').selectOption('operator');
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('cell', { name: 'carol' }).waitFor();
      const users = await apiGet(m.manager, admin, '/api/users');
      assert.equal(users.json.items.find((u: { username: string }) => u.username === 'carol').role, 'operator');

      await page.getByRole('tab', { name: 'API keys' }).click();
      await page.getByLabel('API key name').fill('backup job');
      await page.getByRole('button', { name: 'Create key' }).click();
      const key = (await page.getByTestId('new-api-key').textContent()) ?? '';
      const me = await call(`${m.url}/api/me`, {
        headers: { authorization: `Bearer ${key}` },
        ca: m.manager.caCertPem,
      });
      assert.equal(me.json.role, 'auditor', 'the key shown works, with the role chosen');

      await page.getByRole('tab', { name: 'Audit log' }).click();
      await page.getByRole('cell', { name: 'api-key.create' }).first().waitFor();
      await browser.shot('admin-audit-log');
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });
});
