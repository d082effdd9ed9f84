import { useQuery } from '@tanstack/react-query';
import { get, type Page } from './api';
import type { ModuleInfo } from './types';

/** The module registry as the API exposes it: the console names no module of its own. */
export function useModules(): ModuleInfo[] {
  const answer = useQuery({
    queryKey: ['modules'],
    queryFn: () => get<Page<ModuleInfo>>('/api/modules'),
    staleTime: 10 * 60_000,
  });
  return answer.data?.items ?? [];
}

export const PLATFORM_MODULE = 'platform';

/** Modules that protect something (not the platform's own settings). */
export function protectionModules(modules: readonly ModuleInfo[]): ModuleInfo[] {
  return modules.filter((m) => m.id !== PLATFORM_MODULE);
}
