import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api';
import { ErrorLine, Section } from '../components/common';
import { RulesPanel } from '../components/RulesPanel';
import { SettingsPanel } from '../components/SettingsPanel';
import { PLATFORM_MODULE, useModules } from '../modules';
import { usePolicyTree } from '../policies';
import { useCan } from '../session';
import type { Policy, PolicyNode } from '../types';

/** The policy tree beside the chosen policy: its settings per module (inheritance shown) and rules. */
export function Policies() {
  const { id } = useParams();
  const { roots, byId } = usePolicyTree();
  const selected = id === undefined ? undefined : byId.get(id);
  return (
    <div className="split">
      <aside className="tree card">
        <h2>Policies</h2>
        <Tree nodes={roots} selected={id} />
        <NewPolicy parentId={selected?.id ?? null} />
      </aside>
      <div className="detail">
        {selected ? (
          <PolicyDetail policy={selected} chain={chainOf(selected, byId)} />
        ) : (
          <p className="muted">Choose a policy.</p>
        )}
      </div>
    </div>
  );
}

function chainOf(policy: Policy, byId: Map<string, PolicyNode>): Policy[] {
  const chain: Policy[] = [];
  let current: Policy | undefined = policy;
  while (current) {
    chain.unshift(current);
    current = current.parentId ? byId.get(current.parentId) : undefined;
  }
  return chain;
}

function Tree({ nodes, selected }: { nodes: PolicyNode[]; selected: string | undefined }) {
  if (nodes.length === 0) return null;
  return (
    <ul>
      {nodes.map((node) => (
        <li key={node.id}>
          <Link to={`/policies/${node.id}`} className={node.id === selected ? 'active' : undefined}>
            {node.name}
          </Link>
          <Tree nodes={node.children ?? []} selected={selected} />
        </li>
      ))}
    </ul>
  );
}

function NewPolicy({ parentId }: { parentId: string | null }) {
  const administrator = useCan('administrator');
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api<Policy>('POST', '/api/policies', { name, parentId }),
    onSuccess: (policy) => {
      setName('');
      client.invalidateQueries({ queryKey: ['policies'] });
      navigate(`/policies/${policy.id}`);
    },
  });
  if (!administrator) return null;
  return (
    <form
      className="new-policy"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <input
        aria-label="New policy name"
        placeholder={parentId ? 'New child policy' : 'New top-level policy'}
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit" disabled={name.trim() === ''}>
        Create
      </button>
      <ErrorLine error={create.error} />
    </form>
  );
}

function PolicyDetail({ policy, chain }: { policy: Policy; chain: Policy[] }) {
  const modules = useModules();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? PLATFORM_MODULE;
  const module = modules.find((m) => m.id === tab);
  return (
    <>
      <h1>{policy.name}</h1>
      <p className="muted">
        Inherits from:{' '}
        {chain.length > 1
          ? chain
              .slice(0, -1)
              .map((p) => p.name)
              .join(' → ')
          : 'defaults (top-level policy)'}
      </p>
      {policy.description && <p>{policy.description}</p>}
      <div className="tabs" role="tablist">
        {modules.map((m) => (
          <button
            key={m.id}
            type="button"
            role="tab"
            className={tab === m.id ? 'active' : undefined}
            onClick={() => setParams({ tab: m.id }, { replace: true })}
          >
            {m.name}
          </button>
        ))}
      </div>
      {module && (
        <>
          {module.hasRules && (
            <Section title="Rules in force">
              <RulesPanel kind="policy" id={policy.id} module={module.id} />
            </Section>
          )}
          <Section title="Settings">
            <SettingsPanel level={{ kind: 'policy', id: policy.id, parentPolicyId: policy.parentId }} module={module} />
          </Section>
        </>
      )}
    </>
  );
}
