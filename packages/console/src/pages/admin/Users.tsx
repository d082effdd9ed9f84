import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { type FormEvent, useState } from 'react';
import { api, type Role } from '../../api';
import { ErrorLine, Section, when } from '../../components/common';
import { PagedTable } from '../../components/PagedTable';
import { useSession } from '../../session';

interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

export const ROLES: Role[] = ['administrator', 'operator', 'auditor'];

export function Users() {
  const client = useQueryClient();
  const { caller } = useSession();
  const [form, setForm] = useState({ username: '', password: '', role: 'auditor' as Role });
  const create = useMutation({
    mutationFn: () => api('POST', '/api/users', form),
    onSuccess: () => {
      setForm({ username: '', password: '', role: 'auditor' });
      client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const change = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) => api('PATCH', `/api/users/${id}`, { role }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api('DELETE', `/api/users/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
  const columns: ColumnDef<User, unknown>[] = [
    { header: 'User name', accessorKey: 'username' },
    {
      header: 'Role',
      id: 'role',
      cell: (c) => (
        <select
          aria-label={`Role of ${c.row.original.username}`}
          value={c.row.original.role}
          disabled={c.row.original.id === caller?.id}
          onChange={(e) => change.mutate({ id: c.row.original.id, role: e.target.value as Role })}
        >
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      ),
    },
    { header: 'Created', id: 'created', cell: (c) => when(c.row.original.createdAt) },
    {
      header: '',
      id: 'delete',
      cell: (c) =>
        c.row.original.id === caller?.id ? null : (
          <button
            type="button"
            onClick={() => window.confirm(`Delete ${c.row.original.username}?`) && remove.mutate(c.row.original.id)}
          >
            Delete
          </button>
        ),
    },
  ];
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }
  return (
    <>
      <Section title="Users">
        <ErrorLine error={change.error ?? remove.error} />
        <PagedTable<User> name="users" path="/api/users" columns={columns} />
      </Section>
      <Section title="New user">
        <form className="filters" onSubmit={submit}>
          <input
            aria-label="New user name"
            placeholder="User name"
            value={form.username}
            onChange={(e) => setForm({ ...form, username: e.target.value })}
          />
          <input
            aria-label="New user password"
            type="password"
            placeholder="Password (8+ characters)"
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
          />
          <select
            aria-label="New user role"
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
          >
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={form.username === '' || form.password.length < 8}>
            Create user
          </button>
        </form>
        <ErrorLine error={create.error} />
      </Section>
    </>
  );
}

/** What each role may do (docs/api.md names the least role of every route). */
export function Roles() {
  return (
    <Section title="Roles">
      <table>
        <tbody>
          <tr>
            <th>auditor</th>
            <td>
              Reads everything: computers, policies, rules, events and their export, alerts, the audit log. Changes
              nothing.
            </td>
          </tr>
          <tr>
            <th>operator</th>
            <td>
              An auditor who also runs day-to-day operations: computer settings and rule assignments, moving computers
              between policies, status checks, recommendation scans and module commands, alerts.
            </td>
          </tr>
          <tr>
            <th>administrator</th>
            <td>
              Everything: policies and their settings and rules, custom rules, exclusions from recommendations, users,
              API keys, activation tokens, SIEM destinations, settings only an administrator may change.
            </td>
          </tr>
        </tbody>
      </table>
    </Section>
  );
}
