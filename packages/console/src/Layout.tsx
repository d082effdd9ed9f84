import { useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router-dom';
import { api, csrf } from './api';
import { useCan, useSession } from './session';

const LINKS = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/computers', label: 'Computers' },
  { to: '/policies', label: 'Policies' },
  { to: '/events', label: 'Events' },
  { to: '/rules', label: 'Rules' },
  { to: '/alerts', label: 'Alerts' },
];

export function Layout({ children }: { children: ReactNode }) {
  const { caller } = useSession();
  const admin = useCan('administrator');
  const client = useQueryClient();
  const navigate = useNavigate();
  async function signOut() {
    try {
      await api('DELETE', '/api/sessions/current');
    } finally {
      csrf.set(null);
      client.clear();
      navigate('/');
      client.setQueryData(['me'], null);
    }
  }
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Bulwark</div>
        {LINKS.map((link) => (
          <NavLink key={link.to} to={link.to} end={link.end === true}>
            {link.label}
          </NavLink>
        ))}
        {/* Auditors read the audit log; the rest of administration is for administrators. */}
        <NavLink to={admin ? '/administration' : '/administration/audit-log'}>Administration</NavLink>
        <div className="who">
          <span data-testid="signed-in-as">
            {caller?.name} · {caller?.role}
          </span>
          {caller?.kind === 'user' && <NavLink to="/password">Change password</NavLink>}
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
