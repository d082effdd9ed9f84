import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, type Caller, csrf } from '../api';
import { ErrorLine } from '../components/common';
import { useSession } from '../session';

export function SignIn() {
  const { refresh } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api<{ user: Caller; csrfToken: string }>('POST', '/api/sessions', { username, password });
      csrf.set(answer.csrfToken);
      await refresh();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="sign-in card" onSubmit={submit}>
      <h1>Bulwark</h1>
      <p className="muted">Sign in to the console</p>
      <label>
        User name
        <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <ErrorLine error={error} />
      <button type="submit" className="primary" disabled={busy || username === '' || password === ''}>
        Sign in
      </button>
    </form>
  );
}

/** The first administrator's printed password must be replaced before anything else; any user may change theirs. */
export function ChangePassword({ forced }: { forced: boolean }) {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (newPassword !== repeat) {
      setError(new Error('the two new passwords differ'));
      return;
    }
    try {
      await api('PUT', '/api/me/password', { currentPassword, newPassword });
      setDone(true);
      await refresh();
      if (!forced) navigate('/');
    } catch (failure) {
      setError(failure);
    }
  }
  return (
    <form className="sign-in card" onSubmit={submit}>
      <h1>Change password</h1>
      {forced && (
        <p className="notice">
          This account's password was printed when the manager first started. Choose a new one before going on.
        </p>
      )}
      <label>
        Current password
        <input
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
        />
      </label>
      <label>
        New password (at least 8 characters)
        <input
          name="newPassword"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
        />
      </label>
      <label>
        New password again
        <input
          name="repeatPassword"
          type="password"
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
        />
      </label>
      <ErrorLine error={error} />
      {done && <p className="notice">Password changed.</p>}
      <button type="submit" className="primary" disabled={newPassword.length < 8}>
        Change password
      </button>
    </form>
  );
}
