import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, get } from '../api';
import { ErrorLine, ruleText, Section, when } from '../components/common';
import { useCan } from '../session';
import type { Level, RuleDetail as Rule } from '../types';

/** A rule: what it does, where it is assigned (unassign there), and whether recommendation scans may apply it. */
export function RuleDetail() {
  const { module = '', ruleId = '' } = useParams();
  const client = useQueryClient();
  const operator = useCan('operator');
  const administrator = useCan('administrator');
  const rule = useQuery({
    queryKey: ['rule', module, ruleId],
    queryFn: () => get<Rule>(`/api/modules/${module}/rules/${encodeURIComponent(ruleId)}`),
  });
  const unassign = useMutation({
    mutationFn: (level: Level) =>
      api('DELETE', `/api/${level.kind === 'policy' ? 'policies' : 'computers'}/${level.id}/rules`, {
        module,
        ruleIds: [rule.data?.id ?? ruleId],
      }),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ['rule'] });
      client.invalidateQueries({ queryKey: ['effective-rules'] });
    },
  });
  const exclude = useMutation({
    mutationFn: (excluded: boolean) =>
      api(
        'PUT',
        `/api/modules/${module}/rules/${encodeURIComponent(rule.data?.id ?? ruleId)}/exclude-from-recommendations`,
        {
          excluded,
        },
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['rule'] }),
  });
  const r = rule.data;
  return (
    <div>
      <ErrorLine error={rule.error} />
      {r && (
        <>
          <h1>
            <span className="mono">{r.id}</span> <span className="muted">{module}</span>
          </h1>
          {r.innerRule && (
            <p className="notice">
              {ruleId} ({r.innerRule.description}) is a rule inside {r.id}; assigning, excluding and overriding apply to{' '}
              {r.id}.
            </p>
          )}
          <Section title="Description">
            <p data-testid="rule-description">{ruleText(r.definition) || '—'}</p>
            <p className="muted small">{r.builtIn ? 'Built-in rule' : `Custom rule, updated ${when(r.updatedAt)}`}</p>
            <details>
              <summary>Definition</summary>
              <pre>{JSON.stringify(r.definition, null, 2)}</pre>
            </details>
          </Section>
          <Section title="Assigned to">
            <ErrorLine error={unassign.error} />
            <table>
              <tbody>
                {r.assignedTo.map((level) => {
                  const canUnassign = level.kind === 'policy' ? administrator : operator;
                  return (
                    <tr key={`${level.kind}-${level.id}`} data-testid={`assigned-${level.kind}-${level.name}`}>
                      <td>{level.kind === 'policy' ? 'Policy' : 'Computer'}</td>
                      <td>
                        <Link
                          to={
                            level.kind === 'policy'
                              ? `/policies/${level.id}?tab=${module}`
                              : `/computers/${level.id}?tab=${module}`
                          }
                        >
                          {level.name}
                        </Link>
                      </td>
                      <td>
                        {canUnassign && (
                          <button type="button" disabled={unassign.isPending} onClick={() => unassign.mutate(level)}>
                            Unassign
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
                {r.assignedTo.length === 0 && (
                  <tr>
                    <td className="muted">Not assigned to any policy or computer.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </Section>
          <Section title="Options">
            {administrator ? (
              <label className="check">
                <input
                  type="checkbox"
                  name="excludeFromRecommendations"
                  checked={r.excludedFromRecommendations}
                  disabled={exclude.isPending}
                  onChange={(e) => exclude.mutate(e.target.checked)}
                />
                Exclude from recommendations
              </label>
            ) : (
              <p data-testid="excluded-from-recommendations">
                Exclude from recommendations: <strong>{r.excludedFromRecommendations ? 'yes' : 'no'}</strong>
              </p>
            )}
            <p className="muted small">An excluded rule is never applied automatically by a recommendation scan.</p>
            <ErrorLine error={exclude.error} />
          </Section>
        </>
      )}
    </div>
  );
}
