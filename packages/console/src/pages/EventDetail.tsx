import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { get } from '../api';
import { ErrorLine, Section, shown, when } from '../components/common';
import type { BulwarkEvent } from '../types';

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
