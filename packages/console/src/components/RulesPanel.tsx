import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, get, type Page } from '../api';
import { useCan } from '../session';
import type { CatalogueRule, EffectiveRule } from '../types';
import { ErrorLine, ruleText } from './common';

/**
 * The rules in force at a policy or computer for one module (the union over its policy chain),
 * each saying where it is assigned; assign and unassign here for a role that may.
 */
export function RulesPanel({ kind, id, module }: { kind: 'policy' | 'computer'; id: string; module: string }) {
  const client = useQueryClient();
  const canChange = useCan(kind === 'policy' ? 'administrator' : 'operator');
  const base = `/api/${kind === 'policy' ? 'policies' : 'computers'}/${id}/rules`;
  const rules = useQuery({
    queryKey: ['effective-rules', kind, id, module],
    queryFn: () => get<Page<EffectiveRule>>(base, { module }),
  });
  const change = useMutation({
    mutationFn: ({ method, ruleIds }: { method: 'POST' | 'DELETE'; ruleIds: string[] }) =>
      api(method, base, { module, ruleIds }),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['effective-rules'] });
      client.invalidateQueries({ queryKey: ['rule'] });
    },
  });
  const items = rules.data?.items ?? [];
  return (
    <div>
      <ErrorLine error={rules.error ?? change.error} />
      <table>
        <thead>
          <tr>
            <th>Rule</th>
            <th>Description</th>
            <th>Assigned at</th>
            <th>Overrides</th>
            {canChange && <th />}
          </tr>
        </thead>
        <tbody>
          {items.map((rule) => {
            const here = rule.assignedAt.some((a) => a.kind === kind && a.id === id);
            return (
              <tr key={rule.id} data-testid={`effective-rule-${rule.id}`}>
                <td>
                  <Link to={`/rules/${module}/${encodeURIComponent(rule.id)}`}>{rule.id}</Link>
                </td>
                <td>{ruleText(rule.definition)}</td>
                <td>{rule.assignedAt.map((a) => `${a.kind} ${a.name}`).join(', ')}</td>
                <td className="mono small">
                  {canChange ? (
                    <OverridesEditor
                      path={`${base}/${module}/${encodeURIComponent(rule.id)}/overrides`}
                      overrides={rule.overrides ?? {}}
                    />
                  ) : Object.keys(rule.overrides ?? {}).length > 0 ? (
                    JSON.stringify(rule.overrides)
                  ) : (
                    ''
                  )}
                </td>
                {canChange && (
                  <td>
                    {here && (
                      <button
                        type="button"
                        disabled={change.isPending}
                        onClick={() => change.mutate({ method: 'DELETE', ruleIds: [rule.id] })}
                      >
                        Unassign here
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
          {rules.isSuccess && items.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No rules of this module are in force here.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {canChange && (
        <AssignRule
          module={module}
          busy={change.isPending}
          onAssign={(ruleId) => change.mutate({ method: 'POST', ruleIds: [ruleId] })}
        />
      )}
    </div>
  );
}

/** Search the module's catalogue (on the server) and assign one rule. */
function AssignRule({ module, busy, onAssign }: { module: string; busy: boolean; onAssign: (id: string) => void }) {
  const [q, setQ] = useState('');
  const found = useQuery({
    queryKey: ['catalogue-search', module, q],
    queryFn: () => get<Page<CatalogueRule>>(`/api/modules/${module}/rules`, { q, limit: 10 }),
    enabled: q.trim().length >= 2,
  });
  return (
    <div className="assign">
      <input placeholder="Find a rule to assign (id or text)" value={q} onChange={(e) => setQ(e.target.value)} />
      {(found.data?.items ?? []).map((rule) => (
        <div key={rule.id} className="row">
          <span className="mono">{rule.id}</span> <span className="muted">{ruleText(rule.definition)}</span>
          <button type="button" disabled={busy} onClick={() => onAssign(rule.id)}>
            Assign
          </button>
        </div>
      ))}
    </div>
  );
}

/**
 * A rule's overrides at this level (e.g. `{"mode":"detect"}`), as JSON; `{}` removes them. The
 * module checks them (400 with the reason when the rule with them could not be enforced here).
 */
function OverridesEditor({ path, overrides }: { path: string; overrides: Record<string, unknown> }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState(() => JSON.stringify(overrides));
  const [invalid, setInvalid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (value: Record<string, unknown>) => api('PUT', path, { overrides: value }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['effective-rules'] }),
  });
  return (
    <div className="inline-editor">
      <input aria-label="Overrides" className="mono" value={draft} onChange={(e) => setDraft(e.target.value)} />
      <button
        type="button"
        disabled={save.isPending}
        onClick={() => {
          setInvalid(null);
          try {
            save.mutate(JSON.parse(draft === '' ? '{}' : draft) as Record<string, unknown>);
          } catch {
            setInvalid('not valid JSON');
          }
        }}
      >
        Set overrides
      </button>
      {invalid && <span className="error">{invalid}</span>}
      <ErrorLine error={save.error} />
    </div>
  );
}
