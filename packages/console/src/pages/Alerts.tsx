import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api';
import { ErrorLine, StatusBadge, when } from '../components/common';
import { PagedTable } from '../components/PagedTable';
import { useCan } from '../session';
import type { Alert } from '../types';

export function Alerts() {
  const client = useQueryClient();
  const operator = useCan('operator');
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? 'open';
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'acknowledge' | 'clear' }) =>
      api('POST', `/api/alerts/${id}/${action}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const columns: ColumnDef<Alert, unknown>[] = [
    { header: 'Raised', id: 'raised', cell: (c) => when(c.row.original.raisedAt) },
    { header: 'Type', accessorKey: 'type' },
    { header: 'State', id: 'state', cell: (c) => <StatusBadge status={c.row.original.state} /> },
    {
      header: 'Computer',
      id: 'computer',
      cell: (c) => (c.row.original.computerId ? <Link to={`/computers/${c.row.original.computerId}`}>open</Link> : '—'),
    },
    { header: 'Message', accessorKey: 'message' },
    {
      header: '',
      id: 'actions',
      cell: (c) =>
        operator && c.row.original.state !== 'cleared' ? (
          <span className="actions">
            {c.row.original.state === 'open' && (
              <button type="button" onClick={() => act.mutate({ id: c.row.original.id, action: 'acknowledge' })}>
                Acknowledge
              </button>
            )}
            <button type="button" onClick={() => act.mutate({ id: c.row.original.id, action: 'clear' })}>
              Clear
            </button>
          </span>
        ) : null,
    },
  ];
  return (
    <div>
      <h1>Alerts</h1>
      <div className="tabs" role="tablist">
        {['open', 'acknowledged', 'cleared'].map((s) => (
          <button
            key={s}
            type="button"
            role="tab"
            className={state === s ? 'active' : undefined}
            onClick={() => setParams({ state: s })}
          >
            {s}
          </button>
        ))}
      </div>
      <ErrorLine error={act.error} />
      <PagedTable<Alert>
        name="alerts"
        path="/api/alerts"
        filters={{ state }}
        columns={columns}
        empty={`No ${state} alert.`}
      />
    </div>
  );
}
