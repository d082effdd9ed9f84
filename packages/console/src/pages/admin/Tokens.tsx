import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { renderDeploymentScript } from '../../../../platform-manager/src/admin-cli/deployment-script-render';
import { api, get } from '../../api';
import { ErrorLine, Section, StatusBadge, when } from '../../components/common';
import { PagedTable } from '../../components/PagedTable';
import { flattenTree, usePolicyTree } from '../../policies';

interface Token {
  id: string;
  name: string | null;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  policyId: string | null;
  state: string;
  createdAt: string;
}

interface NewToken extends Token {
  token: string;
  caFingerprint: string | null;
  agentUrl: string | null;
}

/** The deployment script `bulwark tokens create --script` prints, made from the same template in the browser. */
async function deploymentScript(token: NewToken): Promise<string> {
  const [health, caPem] = await Promise.all([
    get<{ version: string }>('/api/health'),
    fetch('/agent-package/manager-ca.crt').then((r) => r.text()),
  ]);
  return renderDeploymentScript({
    consoleUrl: new URL(window.location.origin),
    agentUrl: new URL(token.agentUrl ?? window.location.origin.replace(/:\d+$/, ':4120')),
    packageFile: `bulwark-agent_${health.version}_amd64.deb`,
    caPem,
    caSha256: (token.caFingerprint ?? '').replaceAll(':', '').toLowerCase(),
    token: token.token,
    tokenId: token.id,
    createdAt: new Date(),
  });
}

export function ActivationTokens() {
  const client = useQueryClient();
  const { roots, byId } = usePolicyTree();
  const [name, setName] = useState('');
  const [policyId, setPolicyId] = useState('');
  const [maxUses, setMaxUses] = useState('');
  const [script, setScript] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      api<NewToken>('POST', '/api/activation-tokens', {
        ...(name === '' ? {} : { name }),
        ...(policyId === '' ? {} : { policyId }),
        ...(maxUses === '' ? {} : { maxUses: Number(maxUses) }),
      }),
    onSuccess: async (token) => {
      setScript(null);
      client.invalidateQueries({ queryKey: ['tokens'] });
      setScript(await deploymentScript(token).catch((e: Error) => `# the script could not be made: ${e.message}`));
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/api/activation-tokens/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['tokens'] }),
  });
  const columns: ColumnDef<Token, unknown>[] = [
    { header: 'Name', id: 'name', cell: (c) => c.row.original.name ?? '—' },
    { header: 'State', id: 'state', cell: (c) => <StatusBadge status={c.row.original.state} /> },
    {
      header: 'Policy',
      id: 'policy',
      cell: (c) => (c.row.original.policyId ? (byId.get(c.row.original.policyId)?.name ?? '…') : 'None'),
    },
    {
      header: 'Uses',
      id: 'uses',
      cell: (c) => `${c.row.original.uses}${c.row.original.maxUses === null ? '' : ` / ${c.row.original.maxUses}`}`,
    },
    {
      header: 'Expires',
      id: 'expires',
      cell: (c) => (c.row.original.expiresAt ? when(c.row.original.expiresAt) : 'never'),
    },
    {
      header: '',
      id: 'revoke',
      cell: (c) =>
        c.row.original.state === 'active' ? (
          <button type="button" onClick={() => revoke.mutate(c.row.original.id)}>
            Revoke
          </button>
        ) : null,
    },
  ];
  const token = create.data;
  const command = token
    ? `bulwark-agent activate --manager ${token.agentUrl ?? 'https://<manager>:4120'} --token ${token.token}`
    : '';
  return (
    <>
      <Section title="Activation tokens">
        <ErrorLine error={revoke.error} />
        <PagedTable<Token> name="tokens" path="/api/activation-tokens" columns={columns} />
      </Section>
      <Section title="New activation token">
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <input
            aria-label="Token name"
            placeholder="Name (optional)"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <select aria-label="Token policy" value={policyId} onChange={(e) => setPolicyId(e.target.value)}>
            <option value="">No policy</option>
            {flattenTree(roots).map(({ policy, depth }) => (
              <option key={policy.id} value={policy.id}>
                {'\u00a0\u00a0'.repeat(depth)}
                {policy.name}
              </option>
            ))}
          </select>
          <input
            aria-label="Maximum uses"
            placeholder="Max uses (optional)"
            inputMode="numeric"
            value={maxUses}
            onChange={(e) => setMaxUses(e.target.value)}
          />
          <button type="submit" className="primary">
            Create token
          </button>
        </form>
        <ErrorLine error={create.error} />
        {token && (
          <div className="notice">
            <p>
              The token is shown only now (it is stored hashed; it expires{' '}
              {token.expiresAt ? when(token.expiresAt) : 'never'}). On the host, as root:
            </p>
            <pre data-testid="activate-command">{command}</pre>
            {script && (
              <p>
                Or run the deployment script, which installs the agent package from this manager and activates it:{' '}
                <a
                  className="button"
                  download="deploy-bulwark-agent.sh"
                  href={URL.createObjectURL(new Blob([script], { type: 'text/x-shellscript' }))}
                >
                  Download deploy-bulwark-agent.sh
                </a>
              </p>
            )}
          </div>
        )}
      </Section>
    </>
  );
}
