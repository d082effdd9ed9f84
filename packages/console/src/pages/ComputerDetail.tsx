import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, get, type Page } from '../api';
import { ErrorLine, Section, StatusBadge, when } from '../components/common';
import { PagedTable } from '../components/PagedTable';
import { RulesPanel } from '../components/RulesPanel';
import { SettingsPanel } from '../components/SettingsPanel';
import { PLATFORM_MODULE, protectionModules, useModules } from '../modules';
import { flattenTree, usePolicyTree } from '../policies';
import { useCan } from '../session';
import type { BulwarkEvent, Computer, ComputerCommand, ModuleInfo } from '../types';

export function ComputerDetail() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const modules = useModules();
  const computer = useQuery({
    queryKey: ['computer', id],
    queryFn: () => get<Computer>(`/api/computers/${id}`),
    refetchInterval: 10_000,
  });
  const tab = params.get('tab') ?? 'overview';
  const tabs = [
    { id: 'overview', name: 'Overview' },
    ...protectionModules(modules).map((m) => ({ id: m.id, name: m.name })),
  ];
  const c = computer.data;
  return (
    <div>
      <ErrorLine error={computer.error} />
      {c && (
        <>
          <h1>
            {c.name} <StatusBadge status={c.status} />
          </h1>
          {c.statusReason && <p className="muted">{c.statusReason}</p>}
          <div className="tabs" role="tablist">
            {tabs.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                aria-selected={tab === t.id}
                className={tab === t.id ? 'active' : undefined}
                onClick={() => setParams({ tab: t.id }, { replace: true })}
              >
                {t.name}
              </button>
            ))}
          </div>
          {tab === 'overview' ? (
            <Overview computer={c} modules={modules} />
          ) : (
            <ModuleTab computer={c} module={modules.find((m) => m.id === tab)} />
          )}
        </>
      )}
    </div>
  );
}

function Overview({ computer, modules }: { computer: Computer; modules: ModuleInfo[] }) {
  const client = useQueryClient();
  const operator = useCan('operator');
  const { roots, byId } = usePolicyTree();
  const platform = modules.find((m) => m.id === PLATFORM_MODULE);
  const move = useMutation({
    mutationFn: (policyId: string | null) => api('PATCH', `/api/computers/${computer.id}`, { policyId }),
    onSuccess: () => client.invalidateQueries(),
  });
  return (
    <>
      <Section title="Overview" actions={<Actions computer={computer} modules={modules} />}>
        <dl className="facts">
          <dt>Host name</dt>
          <dd>{computer.hostname}</dd>
          <dt>Policy</dt>
          <dd>
            {operator ? (
              <select
                aria-label="Policy"
                value={computer.policyId ?? ''}
                disabled={move.isPending}
                onChange={(e) => move.mutate(e.target.value === '' ? null : e.target.value)}
              >
                <option value="">None</option>
                {flattenTree(roots).map(({ policy, depth }) => (
                  <option key={policy.id} value={policy.id}>
                    {'\u00a0\u00a0'.repeat(depth)}
                    {policy.name}
                  </option>
                ))}
              </select>
            ) : computer.policyId ? (
              (byId.get(computer.policyId)?.name ?? computer.policyId)
            ) : (
              'None'
            )}
          </dd>
          <dt>Platform</dt>
          <dd>{computer.platform ?? '—'}</dd>
          <dt>Agent</dt>
          <dd>{computer.agentVersion ?? '—'}</dd>
          <dt>Last heartbeat</dt>
          <dd>{when(computer.lastHeartbeatAt)}</dd>
          <dt>Activated</dt>
          <dd>{when(computer.activatedAt)}</dd>
          <dt>Configuration</dt>
          <dd className="mono small">
            {computer.appliedConfigurationVersion === computer.configurationVersion
              ? `applied ${computer.configurationVersion?.slice(0, 12) ?? '—'}`
              : `pending: applied ${computer.appliedConfigurationVersion?.slice(0, 12) ?? 'none'}, current ${computer.configurationVersion?.slice(0, 12) ?? '—'}`}
          </dd>
          <dt>Modules</dt>
          <dd className="chips">
            {computer.modules.map((m) => (
              <span key={m.id} className={`chip state-${m.state}`} title={m.reason}>
                {m.id}: {m.state}
                {m.reason ? ` (${m.reason})` : ''}
              </span>
            ))}
          </dd>
        </dl>
        <ErrorLine error={move.error} />
      </Section>
      {platform && (
        <Section title="Platform settings">
          <SettingsPanel
            level={{ kind: 'computer', id: computer.id, parentPolicyId: computer.policyId }}
            module={platform}
          />
        </Section>
      )}
      <Commands computerId={computer.id} module={null} />
    </>
  );
}

/** Check status, recommendation scan, and every command the modules declare (integrity scan, rebuild baseline…). */
function Actions({ computer, modules }: { computer: Computer; modules: ModuleInfo[] }) {
  const client = useQueryClient();
  const operator = useCan('operator');
  const wake = useMutation({ mutationFn: () => api('POST', `/api/computers/${computer.id}/wake`) });
  const scan = useMutation({
    mutationFn: () =>
      api<{ recommended: Record<string, string[]>; applied: Record<string, string[]> }>(
        'POST',
        `/api/computers/${computer.id}/recommendation-scan`,
        { autoApply: false },
      ),
  });
  const command = useMutation({
    mutationFn: (c: { module: string; command: string }) =>
      api('POST', `/api/computers/${computer.id}/commands`, { module: c.module, command: c.command }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['commands', computer.id] }),
  });
  if (!operator) return null;
  const count = (byModule: Record<string, string[]> | undefined) =>
    Object.values(byModule ?? {}).reduce((n, ids) => n + ids.length, 0);
  return (
    <div className="actions">
      <button type="button" disabled={wake.isPending} onClick={() => wake.mutate()}>
        Check status
      </button>
      <button type="button" disabled={scan.isPending} onClick={() => scan.mutate()}>
        {scan.isPending ? 'Scanning…' : 'Recommendation scan'}
      </button>
      {modules.flatMap((m) =>
        m.commands
          .filter((c) => !c.argumentsRequired)
          .map((c) => (
            <button
              key={`${m.id}.${c.name}`}
              type="button"
              title={c.description}
              disabled={command.isPending}
              onClick={() => command.mutate({ module: m.id, command: c.name })}
            >
              {m.name}: {c.name.replaceAll('-', ' ')}
            </button>
          )),
      )}
      {wake.isSuccess && <span className="notice">Asked the agent for a heartbeat.</span>}
      {scan.isSuccess && (
        <span className="notice" data-testid="scan-result">
          Recommended {count(scan.data.recommended)} rules (none applied automatically).
        </span>
      )}
      <ErrorLine error={wake.error ?? scan.error ?? command.error} />
    </div>
  );
}

/** The computer's commands, newest first; refreshed while any is still running (a long operation's progress). */
function Commands({ computerId, module }: { computerId: string; module: string | null }) {
  const commands = useQuery({
    queryKey: ['commands', computerId],
    queryFn: () => get<Page<ComputerCommand>>(`/api/computers/${computerId}/commands`, { limit: 10 }),
    refetchInterval: (query) =>
      query.state.data?.items.some((c) => c.status === 'queued' || c.status === 'sent') ? 2_000 : false,
  });
  const items = (commands.data?.items ?? []).filter((c) => module === null || c.module === module);
  if (items.length === 0) return null;
  return (
    <Section title="Recent commands">
      <table>
        <thead>
          <tr>
            <th>Command</th>
            <th>Status</th>
            <th>Asked</th>
            <th>By</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id}>
              <td>
                {c.module} {c.command}
              </td>
              <td>
                <StatusBadge status={c.status} />
              </td>
              <td>{when(c.createdAt)}</td>
              <td>{c.createdBy}</td>
              <td>{c.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function ModuleTab({ computer, module }: { computer: Computer; module: ModuleInfo | undefined }) {
  const navigate = useNavigate();
  if (module === undefined) return <p className="muted">Unknown module.</p>;
  const status = computer.modules.find((m) => m.id === module.id);
  const eventColumns: ColumnDef<BulwarkEvent, unknown>[] = [
    { header: 'Time', id: 'time', cell: (c) => when(c.row.original.time) },
    { header: 'Severity', accessorKey: 'severity' },
    { header: 'Rule', id: 'rule', cell: (c) => c.row.original.ruleId ?? '' },
    { header: 'Action', id: 'action', cell: (c) => c.row.original.action ?? '' },
    { header: 'Summary', accessorKey: 'summary' },
  ];
  return (
    <>
      <Section title={`${module.name} on this computer`}>
        <p>
          State: <strong>{status?.state ?? 'not reported'}</strong>
          {status?.reason ? ` — ${status.reason}` : ''}
        </p>
        {status?.counters && (
          <dl className="facts">
            {Object.entries(status.counters).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        )}
      </Section>
      {module.hasRules && (
        <Section title="Rules in force">
          <RulesPanel kind="computer" id={computer.id} module={module.id} />
        </Section>
      )}
      <Section title="Settings">
        <SettingsPanel
          level={{ kind: 'computer', id: computer.id, parentPolicyId: computer.policyId }}
          module={module}
        />
      </Section>
      <Commands computerId={computer.id} module={module.id} />
      <Section title="Events">
        <PagedTable<BulwarkEvent>
          name="events"
          path="/api/events"
          filters={{ computerId: computer.id, module: module.id }}
          columns={eventColumns}
          pageSize={10}
          onRowClick={(e) => navigate(`/events/${e.id}`)}
        />
      </Section>
    </>
  );
}
