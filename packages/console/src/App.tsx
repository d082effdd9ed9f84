import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './Layout';
import { Administration } from './pages/Administration';
import { Alerts } from './pages/Alerts';
import { ComputerDetail } from './pages/ComputerDetail';
import { Computers } from './pages/Computers';
import { EventDetail } from './pages/EventDetail';
import { Events } from './pages/Events';
import { Policies } from './pages/Policies';
import { RuleDetail } from './pages/RuleDetail';
import { Rules } from './pages/Rules';
import { ChangePassword, SignIn } from './pages/SignIn';
import { useSession } from './session';

// The chart library is most of the code; only the dashboard loads it.
const Dashboard = lazy(() => import('./pages/Dashboard').then((m) => ({ default: m.Dashboard })));

export function App() {
  const { caller, loading } = useSession();
  if (loading) return <p className="muted center">Loading…</p>;
  if (caller === null) return <SignIn />;
  if (caller.mustChangePassword === true) return <ChangePassword forced />;
  return (
    <Layout>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/computers" element={<Computers />} />
          <Route path="/computers/:id" element={<ComputerDetail />} />
          <Route path="/policies" element={<Policies />} />
          <Route path="/policies/:id" element={<Policies />} />
          <Route path="/events" element={<Events />} />
          <Route path="/events/:id" element={<EventDetail />} />
          <Route path="/rules" element={<Rules />} />
          <Route path="/rules/:module/:ruleId" element={<RuleDetail />} />
          <Route path="/alerts" element={<Alerts />} />
          <Route path="/administration" element={<Administration />} />
          <Route path="/administration/:tab" element={<Administration />} />
          <Route path="/password" element={<ChangePassword forced={false} />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}
