import { NavLink, useParams } from 'react-router-dom';
import { useCan } from '../session';
import { ApiKeys } from './admin/ApiKeys';
import { AuditLog } from './admin/AuditLog';
import { SiemDestinations } from './admin/SiemDestinations';
import { ActivationTokens } from './admin/Tokens';
import { Roles, Users } from './admin/Users';

const TABS = [
  { id: 'users', name: 'Users', admin: true },
  { id: 'roles', name: 'Roles', admin: false },
  { id: 'api-keys', name: 'API keys', admin: true },
  { id: 'activation-tokens', name: 'Activation tokens', admin: true },
  { id: 'siem', name: 'SIEM destinations', admin: false },
  { id: 'audit-log', name: 'Audit log', admin: false },
];

/** Users, roles, API keys, activation tokens, SIEM destinations, audit log: each tab for the roles the API serves it to. */
export function Administration() {
  const administrator = useCan('administrator');
  const { tab = administrator ? 'users' : 'audit-log' } = useParams();
  const tabs = TABS.filter((t) => administrator || !t.admin);
  return (
    <div>
      <h1>Administration</h1>
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <NavLink
            key={t.id}
            to={`/administration/${t.id}`}
            role="tab"
            className={({ isActive }) => (isActive || tab === t.id ? 'active' : '')}
          >
            {t.name}
          </NavLink>
        ))}
      </div>
      {tab === 'users' && administrator && <Users />}
      {tab === 'roles' && <Roles />}
      {tab === 'api-keys' && administrator && <ApiKeys />}
      {tab === 'activation-tokens' && administrator && <ActivationTokens />}
      {tab === 'siem' && <SiemDestinations />}
      {tab === 'audit-log' && <AuditLog />}
    </div>
  );
}
