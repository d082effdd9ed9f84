import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, get } from '../api';
import { ErrorLine, Section, shown, when } from '../components/common';
import { useCan } from '../session';
import type { BulwarkEvent, Computer } from '../types';

/** One event: computer, rule, action, reason and evidence, each a link to where the workflow goes next. */
export function EventDetail() {
  const { id = '' } = useParams();
  const event = useQuery({ queryKey: ['event', id], queryFn: () => get<BulwarkEvent>(`/api/events/${id}`) });
  const e = event.data;
  const details = (e?.details ?? {}) as Record<string, unknown>;
  const reason = details.reason;
  const evidence = Object.entries(details).filter(([k]) => k !== 'reason');
  const ruleToOpen = e?.assignableRuleId ?? e?.ruleId ?? null;
  return (
    <div>
      <ErrorLine error={event.error} />
      {e && (
        <>
          <h1>{e.summary}</h1>
          <Section title="Event">
            <dl className="facts">
              <dt>Time</dt>
              <dd>{when(e.time)}</dd>
              <dt>Computer</dt>
              <dd>
                <Link to={`/computers/${e.computerId}?tab=${e.module}`} data-testid="event-computer">
                  {e.computerName ?? e.computerId}
                </Link>
              </dd>
              <dt>Module</dt>
              <dd>{e.module}</dd>
              <dt>Type</dt>
              <dd>{e.type}</dd>
              <dt>Severity</dt>
              <dd>{e.severity}</dd>
              <dt>Rule</dt>
              <dd>
                {e.ruleId === null ? (
                  '—'
                ) : ruleToOpen ? (
                  <Link to={`/rules/${e.module}/${encodeURIComponent(ruleToOpen)}`} data-testid="event-rule">
                    {e.ruleId}
                    {ruleToOpen !== e.ruleId ? ` (run by ${ruleToOpen})` : ''}
                  </Link>
                ) : (
                  e.ruleId
                )}
              </dd>
              <dt>Action</dt>
              <dd>{e.action ?? '—'}</dd>
              <dt>Reason</dt>
              <dd>{reason === undefined ? '—' : shown(reason)}</dd>
              <dt>Received</dt>
              <dd>{when(e.receivedAt)}</dd>
            </dl>
          </Section>
          {e.ruleId !== null && ruleToOpen !== null && ruleToOpen !== e.ruleId && (
            <Silence event={e} ruleId={e.ruleId} runBy={ruleToOpen} />
          )}
          <Section title="Evidence">
            <dl className="facts">
              {evidence.map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd className="mono">{shown(v)}</dd>
                </div>
              ))}
            </dl>
          </Section>
        </>
      )}
    </div>
  );
}

/**
 * An event named a rule inside a group rule (log inspection's 100302 inside loginspect.su): that
 * one rule can be silenced on the computer or at its policy without touching the rest of the group.
 */
function Silence({ event, ruleId, runBy }: { event: BulwarkEvent; ruleId: string; runBy: string }) {
  const client = useQueryClient();
  const operator = useCan('operator');
  const administrator = useCan('administrator');
  const computer = useQuery({
    queryKey: ['computer', event.computerId],
    queryFn: () => get<Computer>(`/api/computers/${event.computerId}`),
  });
  const silence = useMutation({
    mutationFn: (level: { kind: 'policies' | 'computers'; id: string }) =>
      api<{ silencingRuleId: string }>(
        'PUT',
        `/api/${level.kind}/${level.id}/rules/${event.module}/${encodeURIComponent(ruleId)}/silenced`,
        { silenced: true },
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['effective-rules'] }),
  });
  if (!operator) return null;
  const policyId = computer.data?.policyId ?? null;
  return (
    <Section title="Silence this rule">
      <p className="muted">
        {ruleId} runs inside {runBy}. Silencing it stops its events here and below; the rest of {runBy} keeps working.
      </p>
      <div className="actions">
        <button
          type="button"
          disabled={silence.isPending}
          onClick={() => silence.mutate({ kind: 'computers', id: event.computerId })}
        >
          Silence {ruleId} on {event.computerName ?? 'this computer'}
        </button>
        {administrator && policyId !== null && (
          <button
            type="button"
            disabled={silence.isPending}
            onClick={() => silence.mutate({ kind: 'policies', id: policyId })}
          >
            Silence {ruleId} at its policy
          </button>
        )}
      </div>
      {silence.isSuccess && <p className="notice">Silenced by {silence.data.silencingRuleId}.</p>}
      <ErrorLine error={silence.error} />
    </Section>
  );
}
