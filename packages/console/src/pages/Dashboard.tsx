import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get } from '../api';
import { ErrorLine, Section } from '../components/common';
import type { DashboardSummary } from '../types';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const WINDOWS = [6, 24, 168];

export function Dashboard() {
  const [hours, setHours] = useState(24);
  const summary = useQuery({
    queryKey: ['dashboard', hours],
    queryFn: () => get<DashboardSummary>('/api/dashboard', { hours }),
    refetchInterval: 30_000,
  });
  const s = summary.data;
  const modules = [...new Set(s?.eventsOverTime.map((b) => b.module) ?? [])].sort();
  const byBucket = new Map<string, Record<string, number | string>>();
  for (const b of s?.eventsOverTime ?? []) {
    const row = byBucket.get(b.bucket) ?? { bucket: b.bucket };
    row[b.module] = b.count;
    byBucket.set(b.bucket, row);
  }
  const chart = [...byBucket.values()].map((row) => ({
    ...row,
    label: new Date(String(row.bucket)).toLocaleString([], {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }),
  }));
  return (
    <div>
      <h1>Dashboard</h1>
      <ErrorLine error={summary.error} />
      <div className="filters">
        {WINDOWS.map((h) => (
          <button key={h} type="button" className={h === hours ? 'active' : undefined} onClick={() => setHours(h)}>
            Last {h < 48 ? `${h} h` : `${h / 24} days`}
          </button>
        ))}
      </div>
      {s && (
        <div className="grid">
          <Section title="Computers by status">
            <ul className="status-counts" data-testid="computers-by-status">
              {Object.entries(s.computersByStatus).map(([status, count]) => (
                <li key={status}>
                  <Link to={`/computers?status=${status}`}>
                    <span className={`badge status-${status}`}>{status}</span> <strong>{count}</strong>
                  </Link>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Open alerts">
            <Link to="/alerts" className="big-number" data-testid="open-alerts">
              {s.openAlerts}
            </Link>
          </Section>
          <Section title="Events by module">
            {chart.length === 0 ? (
              <p className="muted">No events in this window.</p>
            ) : (
              <div className="chart">
                <ResponsiveContainer width="100%" height={260}>
                  <BarChart data={chart}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="label" fontSize={11} />
                    <YAxis allowDecimals={false} fontSize={11} />
                    <Tooltip />
                    <Legend />
                    {modules.map((m, i) => (
                      <Bar key={m} dataKey={m} stackId="events" fill={PALETTE[i % PALETTE.length]} />
                    ))}
                  </BarChart>
                </ResponsiveContainer>
              </div>
            )}
          </Section>
          <Section title="Top rules">
            <table data-testid="top-rules">
              <tbody>
                {s.topRules.map((r) => (
                  <tr key={`${r.module}/${r.ruleId}`}>
                    <td>{r.module}</td>
                    <td>
                      <Link to={`/events?module=${r.module}&ruleId=${encodeURIComponent(r.ruleId)}`}>{r.ruleId}</Link>
                    </td>
                    <td className="num">{r.count}</td>
                  </tr>
                ))}
                {s.topRules.length === 0 && (
                  <tr>
                    <td className="muted">No rule fired in this window.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </Section>
        </div>
      )}
    </div>
  );
}
