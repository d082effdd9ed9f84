import type { ColumnDef } from '@tanstack/react-table';
import { shown, when } from '../../components/common';
import { PagedTable } from '../../components/PagedTable';

interface AuditEntry {
  id: string;
  at: string;
  actor: { kind: string; id: string | null; name: string };
  action: string;
  target: { kind: string; id: string | null };
  before: unknown;
  after: unknown;
}

export function AuditLog() {
  const columns: ColumnDef<AuditEntry, unknown>[] = [
    { header: 'When', id: 'at', cell: (c) => when(c.row.original.at) },
    { header: 'Who', id: 'actor', cell: (c) => `${c.row.original.actor.name} (${c.row.original.actor.kind})` },
    { header: 'Action', accessorKey: 'action' },
    { header: 'Target', id: 'target', cell: (c) => `${c.row.original.target.kind} ${c.row.original.target.id ?? ''}` },
    {
      header: 'Change',
      id: 'change',
      cell: (c) => (
        <span className="mono small clip">
          {c.row.original.before === null ? '' : `${shown(c.row.original.before)} → `}
          {shown(c.row.original.after)}
        </span>
      ),
    },
  ];
  return <PagedTable<AuditEntry> name="audit-log" path="/api/audit-log" columns={columns} pageSize={50} />;
}
