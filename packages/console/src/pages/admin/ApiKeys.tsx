import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { api, type Role } from '../../api';
import { ErrorLine, Section, when } from '../../components/common';
import { PagedTable } from '../../components/PagedTable';
import { ROLES } from './Users';

interface ApiKey {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function ApiKeys() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('auditor');
  const create = useMutation({
    mutationFn: () => api<{ key: string; name: string }>('POST', '/api/api-keys', { name, role }),
    onSuccess: () => {
      setName('');
      client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/api/api-keys/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const columns: ColumnDef<ApiKey, unknown>[] = [
    { header: 'Name', accessorKey: 'name' },
    { header: 'Role', accessorKey: 'role' },
    { header: 'Created', id: 'created', cell: (c) => when(c.row.original.createdAt) },
    { header: 'Last used', id: 'used', cell: (c) => when(c.row.original.lastUsedAt) },
    {
      header: 'Revoked',
      id: 'revoked',
      cell: (c) =>
        c.row.original.revokedAt ? (
          when(c.row.original.revokedAt)
        ) : (
          <button
            type="button"
            onClick={() => window.confirm(`Revoke ${c.row.original.name}?`) && revoke.mutate(c.row.original.id)}
          >
            Revoke
          </button>
        ),
    },
  ];
  return (
    <>
      <Section title="API keys">
        <ErrorLine error={revoke.error} />
        <PagedTable<ApiKey> name="api-keys" path="/api/api-keys" columns={columns} />
      </Section>
      <Section title="New API key">
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <input aria-label="API key name" placeholder="Name" value={name} onChange={(e) => setName(e.target.value)} />
          <select aria-label="API key role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={name.trim() === ''}>
            Create key
          </button>
        </form>
        <ErrorLine error={create.error} />
        {create.data && (
          <div className="notice">
            Key for {create.data.name} (shown only now; it is stored hashed):
            <pre data-testid="new-api-key">{create.data.key}</pre>
          </div>
        )}
      </Section>
    </>
  );
}
