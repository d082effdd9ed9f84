import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ColumnDef, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useEffect, useState } from 'react';
import { get, type Page, problemText, type Query } from '../api';

interface PagedTableProps<T> {
  /** Query key prefix; the filters are added to it. */
  readonly name: string;
  readonly path: string;
  readonly filters?: Query;
  readonly columns: ColumnDef<T, unknown>[];
  readonly pageSize?: number;
  readonly onRowClick?: (row: T) => void;
  readonly rowTestId?: (row: T) => string;
  readonly empty?: string;
}

/**
 * A list paged on the server: one page of `pageSize` rows per request, the API's opaque cursors
 * kept on a stack for "Previous". Changing a filter starts again at the first page.
 */
export function PagedTable<T>(props: PagedTableProps<T>) {
  const pageSize = props.pageSize ?? 25;
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filterKey = JSON.stringify(props.filters ?? {});
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter set starts from the first page
  useEffect(() => setCursors([null]), [filterKey]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useQuery({
    queryKey: [props.name, props.path, filterKey, cursor, pageSize],
    queryFn: () => get<Page<T>>(props.path, { ...props.filters, limit: pageSize, cursor }),
    placeholderData: keepPreviousData,
  });
  const table = useReactTable({
    data: page.data?.items ?? [],
    columns: props.columns,
    getCoreRowModel: getCoreRowModel(),
    manualPagination: true,
  });
  return (
    <div className="paged-table">
      {page.isError && <p className="error">{problemText(page.error)}</p>}
      <table>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id}>{flexRender(header.column.columnDef.header, header.getContext())}</th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr
              key={row.id}
              className={props.onRowClick ? 'clickable' : undefined}
              data-testid={props.rowTestId?.(row.original)}
              onClick={props.onRowClick ? () => props.onRowClick?.(row.original) : undefined}
            >
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
              ))}
            </tr>
          ))}
          {page.isSuccess && page.data.items.length === 0 && (
            <tr>
              <td colSpan={props.columns.length} className="muted">
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <span className="muted">
          Page {cursors.length}
          {page.isFetching ? ' · loading…' : ''}
        </span>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            const next = page.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Next
        </button>
      </div>
    </div>
  );
}
