import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { api, get } from '../../api';
import { ErrorLine, Section, when } from '../../components/common';
import { PagedTable } from '../../components/PagedTable';
import { useCan } from '../../session';

interface Destination {
  id: string;
  name: string;
  transport: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  format: 'cef' | 'leef' | 'json';
  minimumSeverity: string;
  enabled: boolean;
}

interface DestinationStatus {
  backlog: number;
  sent: number;
  skipped: number;
  lastSentAt: string | null;
  lastError: string | null;
}

function QueueStatus({ id }: { id: string }) {
  const status = useQuery({
    queryKey: ['siem-status', id],
    queryFn: () => get<DestinationStatus>(`/api/forwarding/destinations/${id}/status`),
    refetchInterval: 15_000,
  });
  const s = status.data;
  if (!s) return <span className="muted">…</span>;
  return (
    <span title={s.lastError ?? undefined}>
      sent {s.sent}, backlog {s.backlog}, skipped {s.skipped}
      {s.lastError ? ` · error: ${s.lastError}` : ''} · last {when(s.lastSentAt)}
    </span>
  );
}

export function SiemDestinations() {
  const client = useQueryClient();
  const administrator = useCan('administrator');
  const [form, setForm] = useState({ name: '', host: '', port: '514', transport: 'udp', format: 'cef' });
  const create = useMutation({
    mutationFn: () => api('POST', '/api/forwarding/destinations', { ...form, port: Number(form.port) }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['siem'] }),
  });
  const act = useMutation({
    mutationFn: ({ id, action, enabled }: { id: string; action: 'test' | 'delete' | 'toggle'; enabled?: boolean }) =>
      action === 'test'
        ? api<{ sent: boolean; error: string | null }>('POST', `/api/forwarding/destinations/${id}/test`)
        : action === 'delete'
          ? api('DELETE', `/api/forwarding/destinations/${id}`)
          : api('PATCH', `/api/forwarding/destinations/${id}`, { enabled: enabled !== true }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['siem'] }),
  });
  const columns: ColumnDef<Destination, unknown>[] = [
    { header: 'Name', accessorKey: 'name' },
    {
      header: 'Where',
      id: 'where',
      cell: (c) => `${c.row.original.transport}://${c.row.original.host}:${c.row.original.port}`,
    },
    { header: 'Format', accessorKey: 'format' },
    { header: 'From severity', accessorKey: 'minimumSeverity' },
    { header: 'Enabled', id: 'enabled', cell: (c) => (c.row.original.enabled ? 'yes' : 'no') },
    { header: 'Queue', id: 'queue', cell: (c) => <QueueStatus id={c.row.original.id} /> },
    {
      header: '',
      id: 'actions',
      cell: (c) =>
        administrator ? (
          <span className="actions">
            <button type="button" onClick={() => act.mutate({ id: c.row.original.id, action: 'test' })}>
              Send test
            </button>
            <button
              type="button"
              onClick={() => act.mutate({ id: c.row.original.id, action: 'toggle', enabled: c.row.original.enabled })}
            >
              {c.row.original.enabled ? 'Disable' : 'Enable'}
            </button>
            <button
              type="button"
              onClick={() =>
                window.confirm(`Delete ${c.row.original.name}?`) &&
                act.mutate({ id: c.row.original.id, action: 'delete' })
              }
            >
              Delete
            </button>
          </span>
        ) : null,
    },
  ];
  const tested =
    act.variables?.action === 'test' ? (act.data as { sent: boolean; error: string | null } | undefined) : undefined;
  return (
    <>
      <Section title="SIEM destinations">
        <ErrorLine error={act.error} />
        {tested && (
          <p className="notice">{tested.sent ? 'Test event sent.' : `Test event not sent: ${tested.error}`}</p>
        )}
        <PagedTable<Destination> name="siem" path="/api/forwarding/destinations" columns={columns} />
      </Section>
      {administrator && (
        <Section title="New destination">
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
            }}
          >
            <input
              aria-label="Destination name"
              placeholder="Name"
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
            <input
              aria-label="Host"
              placeholder="Host"
              value={form.host}
              onChange={(e) => setForm({ ...form, host: e.target.value })}
            />
            <input
              aria-label="Port"
              inputMode="numeric"
              value={form.port}
              onChange={(e) => setForm({ ...form, port: e.target.value })}
            />
            <select
              aria-label="Transport"
              value={form.transport}
              onChange={(e) => setForm({ ...form, transport: e.target.value })}
            >
              {['udp', 'tcp', 'tls'].map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <select
              aria-label="Format"
              value={form.format}
              onChange={(e) => setForm({ ...form, format: e.target.value })}
            >
              {['cef', 'leef', 'json'].map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
            <button type="submit" className="primary" disabled={form.name === '' || form.host === ''}>
              Add destination
            </button>
          </form>
          <ErrorLine error={create.error} />
        </Section>
      )}
    </>
  );
}
