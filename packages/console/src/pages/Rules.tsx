import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { ruleText } from '../components/common';
import { PagedTable } from '../components/PagedTable';
import { protectionModules, useModules } from '../modules';
import type { CatalogueRule } from '../types';

export function Rules() {
  const navigate = useNavigate();
  const modules = protectionModules(useModules()).filter((m) => m.hasRules);
  const [params, setParams] = useSearchParams();
  const module = params.get('module') ?? modules[0]?.id ?? null;
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const columns: ColumnDef<CatalogueRule, unknown>[] = [
    { header: 'Id', accessorKey: 'id', cell: (c) => <span className="mono">{c.row.original.id}</span> },
    { header: 'Description', id: 'description', cell: (c) => ruleText(c.row.original.definition) },
    { header: 'Origin', id: 'origin', cell: (c) => (c.row.original.builtIn ? 'built-in' : 'custom') },
  ];
  return (
    <div>
      <h1>Rules</h1>
      <div className="tabs" role="tablist" aria-label="Module">
        {modules.map((m) => (
          <button
            key={m.id}
            type="button"
            role="tab"
            className={module === m.id ? 'active' : undefined}
            onClick={() => setParams({ module: m.id }, { replace: true })}
          >
            {m.name}
          </button>
        ))}
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const next = new URLSearchParams(params);
          if (search === '') next.delete('q');
          else next.set('q', search);
          setParams(next, { replace: true });
        }}
      >
        <input
          type="search"
          aria-label="Search rules"
          placeholder="Search id or text"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      {module && (
        <PagedTable<CatalogueRule>
          name="catalogue"
          path={`/api/modules/${module}/rules`}
          filters={{ q }}
          columns={columns}
          onRowClick={(r) => navigate(`/rules/${r.module}/${encodeURIComponent(r.id)}`)}
          rowTestId={(r) => `rule-${r.id}`}
        />
      )}
    </div>
  );
}
