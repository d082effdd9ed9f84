import type { ColumnDef } from '@tanstack/react-table';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { withQuery } from '../api';
import { when } from '../components/common';
import { PagedTable } from '../components/PagedTable';
import { protectionModules, useModules } from '../modules';
import type { BulwarkEvent } from '../types';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const FILTERS = ['module', 'severity', 'type', 'ruleId', 'computerId', 'from', 'to'] as const;

/** A datetime-local value (local time) as the API's ISO time, and back. */
function toIso(local: string): string {
  return local === '' ? '' : new Date(local).toISOString();
}
function toLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function Events() {
  const navigate = useNavigate();
  const modules = protectionModules(useModules());
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f)]));
  const module = modules.find((m) => m.id === filters.module);
  function setFilter(key: string, value: string) {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  }
  const columns: ColumnDef<BulwarkEvent, unknown>[] = [
    { header: 'Time', id: 'time', cell: (c) => when(c.row.original.time) },
    { header: 'Computer', id: 'computer', cell: (c) => c.row.original.computerName ?? c.row.original.computerId },
    { header: 'Module', accessorKey: 'module' },
    { header: 'Type', accessorKey: 'type' },
    {
      header: 'Severity',
      accessorKey: 'severity',
      cell: (c) => <span className={`sev sev-${c.row.original.severity}`}>{c.row.original.severity}</span>,
    },
    { header: 'Rule', id: 'rule', cell: (c) => c.row.original.ruleId ?? '' },
    { header: 'Action', id: 'action', cell: (c) => c.row.original.action ?? '' },
    { header: 'Summary', accessorKey: 'summary' },
  ];
  const exportQuery = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== null)) as Record<
    string,
    string
  >;
  return (
    <div>
      <h1>Events</h1>
      <div className="tabs" role="tablist" aria-label="Module">
        <button
          type="button"
          role="tab"
          className={!filters.module ? 'active' : undefined}
          onClick={() => setFilter('module', '')}
        >
          All modules
        </button>
        {modules.map((m) => (
          <button
            key={m.id}
            type="button"
            role="tab"
            className={filters.module === m.id ? 'active' : undefined}
            onClick={() => {
              const next = new URLSearchParams(params);
              next.set('module', m.id);
              next.delete('type');
              setParams(next, { replace: true });
            }}
          >
            {m.name}
          </button>
        ))}
      </div>
      <div className="filters">
        <select
          aria-label="Minimum severity"
          value={filters.severity ?? ''}
          onChange={(e) => setFilter('severity', e.target.value)}
        >
          <option value="">Any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s} or worse
            </option>
          ))}
        </select>
        {module && module.eventTypes.length > 0 && (
          <select aria-label="Type" value={filters.type ?? ''} onChange={(e) => setFilter('type', e.target.value)}>
            <option value="">Any type</option>
            {module.eventTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
        <input
          aria-label="Rule id"
          placeholder="Rule id"
          defaultValue={filters.ruleId ?? ''}
          onBlur={(e) => setFilter('ruleId', e.target.value.trim())}
        />
        <label>
          From{' '}
          <input
            type="datetime-local"
            value={toLocal(filters.from)}
            onChange={(e) => setFilter('from', toIso(e.target.value))}
          />
        </label>
        <label>
          To{' '}
          <input
            type="datetime-local"
            value={toLocal(filters.to)}
            onChange={(e) => setFilter('to', toIso(e.target.value))}
          />
        </label>
        {filters.computerId && (
          <button type="button" onClick={() => setFilter('computerId', '')}>
            Any computer
          </button>
        )}
        <a className="button" href={withQuery('/api/events/export', { ...exportQuery, format: 'csv' })} download>
          Export CSV
        </a>
        <a className="button" href={withQuery('/api/events/export', { ...exportQuery, format: 'json' })} download>
          Export JSON
        </a>
      </div>
      <PagedTable<BulwarkEvent>
        name="events"
        path="/api/events"
        filters={filters}
        columns={columns}
        onRowClick={(e) => navigate(`/events/${e.id}`)}
        rowTestId={(e) => `event-${e.ruleId ?? e.type}`}
        empty="No event matches these filters."
      />
    </div>
  );
}
