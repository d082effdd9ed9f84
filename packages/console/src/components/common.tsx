import type { ReactNode } from 'react';
import { problemText } from '../api';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function ErrorLine({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert">
      {problemText(error)}
    </p>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A value as it reads in a settings row: scalars as they are, the rest as compact JSON. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A rule's one-line description, whatever module: `description`, `name` or `title` when it has one. */
export function ruleText(definition: unknown): string {
  if (typeof definition !== 'object' || definition === null) return '';
  const d = definition as Record<string, unknown>;
  for (const key of ['description', 'name', 'title', 'summary'])
    if (typeof d[key] === 'string') return d[key] as string;
  return '';
}
