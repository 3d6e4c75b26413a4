/** The Sluice web UI: the key gate, the navigation and one route per page. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, NavLink, Navigate, Route, Routes } from "react-router";
import { AuthGate } from "./components/AuthGate.js";
import { AgentsPage } from "./pages/AgentsPage.js";
import { FlowPage } from "./pages/FlowPage.js";
import { FlowsPage } from "./pages/FlowsPage.js";
import { RunsPage } from "./pages/RunsPage.js";
import { SchedulesPage } from "./pages/SchedulesPage.js";
import { RunPage } from "./run/RunPage.js";
import "./styles.css";

function App() {
  return (
    <AuthGate>
      {({ auth, signOut }) => (
        <BrowserRouter>
          <div className="shell">
            <nav className="nav">
              <div className="brand">
                <span className="logo" />
                Sluice
              </div>
              <NavLink to="/runs">Flow runs</NavLink>
              <NavLink to="/flows">Flows</NavLink>
              <NavLink to="/agents">Agents</NavLink>
              <NavLink to="/schedules">Schedules</NavLink>
              <span className="spacer" />
              <a href="/docs" target="_blank" rel="noreferrer">
                API
              </a>
              {auth && (
                <button type="button" className="link" onClick={signOut}>
                  Forget key
                </button>
              )}
            </nav>
            <main>
              <Routes>
                <Route path="/" element={<Navigate to="/runs" replace />} />
                <Route path="/runs" element={<RunsPage />} />
                <Route path="/runs/:id" element={<RunPage />} />
                <Route path="/flows" element={<FlowsPage />} />
                <Route path="/flows/:name" element={<FlowPage />} />
                <Route path="/agents" element={<AgentsPage />} />
                <Route path="/schedules" element={<SchedulesPage />} />
                <Route path="*" element={<div className="page empty">No such page.</div>} />
              </Routes>
            </main>
          </div>
        </BrowserRouter>
      )}
    </AuthGate>
  );
}

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
