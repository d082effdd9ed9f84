import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { StatusBadge, when } from '../components/common';
import { PagedTable } from '../components/PagedTable';
import { flattenTree, usePolicyTree } from '../policies';
import type { Computer } from '../types';

const STATUSES = ['managed', 'updates-pending', 'offline', 'error', 'deactivated'];

export function Computers() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const { roots, byId } = usePolicyTree();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const filters = { q: params.get('q'), status: params.get('status'), policyId: params.get('policyId') };
  function setFilter(key: string, value: string) {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  }
  const columns: ColumnDef<Computer, unknown>[] = [
    { header: 'Name', accessorKey: 'name', cell: (c) => <strong>{c.row.original.name}</strong> },
    { header: 'Host name', accessorKey: 'hostname' },
    {
      header: 'Status',
      accessorKey: 'status',
      cell: (c) => (
        <span title={c.row.original.statusReason ?? undefined}>
          <StatusBadge status={c.row.original.status} />
        </span>
      ),
    },
    {
      header: 'Policy',
      id: 'policy',
      cell: (c) => (c.row.original.policyId ? (byId.get(c.row.original.policyId)?.name ?? '…') : 'None'),
    },
    {
      header: 'Modules',
      id: 'modules',
      cell: (c) => (
        <span className="chips">
          {c.row.original.modules.map((m) => (
            <span key={m.id} className={`chip state-${m.state}`} title={m.reason}>
              {m.id}: {m.state}
            </span>
          ))}
        </span>
      ),
    },
    { header: 'Last heartbeat', id: 'heartbeat', cell: (c) => when(c.row.original.lastHeartbeatAt) },
  ];
  return (
    <div>
      <h1>Computers</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter('q', search);
        }}
      >
        <input
          type="search"
          placeholder="Search by name"
          aria-label="Search computers"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <button type="submit">Search</button>
        <select aria-label="Status" value={filters.status ?? ''} onChange={(e) => setFilter('status', e.target.value)}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <select
          aria-label="Policy"
          value={filters.policyId ?? ''}
          onChange={(e) => setFilter('policyId', e.target.value)}
        >
          <option value="">Any policy</option>
          {flattenTree(roots).map(({ policy, depth }) => (
            <option key={policy.id} value={policy.id}>
              {'\u00a0\u00a0'.repeat(depth)}
              {policy.name}
            </option>
          ))}
        </select>
      </form>
      <PagedTable<Computer>
        name="computers"
        path="/api/computers"
        filters={filters}
        columns={columns}
        onRowClick={(c) => navigate(`/computers/${c.id}`)}
        rowTestId={(c) => `computer-${c.name}`}
        empty="No computer matches. Activate agents with a token (Administration → Activation tokens)."
      />
    </div>
  );
}
