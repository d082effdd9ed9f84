import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { ApiProblem, type Caller, csrf, get, hasRole, type Role, whenUnauthenticated } from './api';

interface SessionState {
  readonly caller: Caller | null;
  readonly loading: boolean;
  /** Re-reads /api/me (after sign-in, password change, sign-out). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionState>({ caller: null, loading: true, refresh: async () => {} });

/** Who is signed in: GET /api/me; a 401 means nobody (the sign-in page shows). */
export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      // A tab without the CSRF token of its session cannot change anything: sign in again.
      if (csrf.get() === null) return null;
      try {
        return await get<Caller>('/api/me');
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
  useEffect(() => {
    whenUnauthenticated(() => {
      csrf.set(null);
      client.setQueryData(['me'], null);
    });
  }, [client]);
  const state: SessionState = {
    caller: me.data ?? null,
    loading: me.isPending,
    refresh: async () => {
      await client.invalidateQueries({ queryKey: ['me'] });
    },
  };
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}

/** True when the signed-in user has at least `role`: edit controls show only then (the API refuses anyway). */
export function useCan(role: Role): boolean {
  return hasRole(useSession().caller, role);
}
