import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { agentUrlFor, renderDeploymentScript } from './deployment-script.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function render(token: string, consoleUrl = 'https://manager.example:4119') {
  return renderDeploymentScript({
    consoleUrl: new URL(consoleUrl),
    agentUrl: new URL('https://manager.example:4120'),
    packageFile: 'bulwark-agent_0.1.0_amd64.deb',
    caPem: CA,
    caSha256: 'ab'.repeat(32),
    token,
    tokenId: 'id-1',
    createdAt: new Date('2026-12-07T09:00:00Z'),
  });
}

/** What `sh` makes of the script's variable lines (everything before the first command). */
function variables(script: string): Record<string, string> {
  const head = script.slice(0, script.indexOf('fail() {'));
  const run = spawnSync(
    'sh',
    ['-c', `${head}\nprintf '%s\\0' "$MANAGER_CONSOLE" "$BULWARK_ACTIVATION_TOKEN" "$CA_SHA256"`],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const [console, token, ca] = run.stdout.split('\0');
  return { console: console as string, token: token as string, ca: ca as string };
}

describe('the deployment script', () => {
  it('is valid sh, pins the CA for the download and the activation, and keeps the token off command lines', () => {
    const script = render('bwt_secret');
    assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0);
    assert.match(script, /--cacert "\$workdir\/manager-ca\.crt"/);
    assert.match(script, /--proto '=https'/);
    assert.match(script, /bulwark-agent activate --manager "\$MANAGER_AGENT" --ca-fingerprint "\$CA_SHA256"/);
    assert.match(script, /export BULWARK_ACTIVATION_TOKEN/);
    assert.doesNotMatch(script, /--token/);
    assert.ok(script.includes(CA.trim()));
    assert.equal(variables(script).console, 'https://manager.example:4119');
  });

  it('quotes any token so that the shell takes it literally', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), (token) => {
        fc.pre(!token.includes('\0'));
        assert.equal(variables(render(token)).token, token);
      }),
      { numRuns: 50 },
    );
  });

  it('activates on the --agent-url given, else on the manager host at port 4120', () => {
    const given = agentUrlFor(new URL('https://m.example:4119/'), 'https://agents.example:443');
    assert.ok(given.ok && given.value.href === 'https://agents.example/');
    const derived = agentUrlFor(new URL('https://m.example:4119/'), undefined);
    assert.ok(derived.ok && derived.value.href === 'https://m.example:4120/');
    assert.equal(agentUrlFor(new URL('https://m.example:4119/'), 'http://m.example:4120').ok, false);
    assert.equal(agentUrlFor(new URL('https://m.example:4119/'), 'not a url').ok, false);
  });
});
