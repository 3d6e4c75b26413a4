/**
 * Asks for an API key when the server requires one, before anything else of the app is rendered. The key
 * is checked with a real call, kept in sessionStorage for the tab, and dropped when the server refuses it.
 */
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { SluiceApiError, createClient } from "../../client/index.js";
import { ApiProvider, apiFor, errorText, pageFetch, type Api } from "../api/context.js";
import { storeApiKey, storedApiKey } from "../api/session.js";

type Gate = { kind: "checking" } | { kind: "down"; message: string } | { kind: "prompt"; reason?: string } | { kind: "open"; api: Api; auth: boolean };

export function AuthGate({ children }: { children: (props: { auth: boolean; signOut: () => void }) => ReactNode }) {
  const url = window.location.origin;
  const [gate, setGate] = useState<Gate>({ kind: "checking" });
  const [queryClient, setQueryClient] = useState(() => newQueryClient());

  const refused = useCallback(() => {
    storeApiKey(undefined);
    setGate((g) => (g.kind === "open" && g.auth ? { kind: "prompt", reason: "The server refused the API key (unknown or revoked)." } : g));
  }, []);

  const open = useCallback(
    (key: string | undefined, auth: boolean) => {
      setQueryClient(newQueryClient());
      setGate({ kind: "open", api: apiFor(url, key, refused), auth });
    },
    [url, refused],
  );

  useEffect(() => {
    let live = true;
    createClient({ url, fetch: pageFetch, retry: { attempts: 2 } })
      .health()
      .then((health) => {
        if (!live) return;
        const key = storedApiKey();
        if (!health.auth) open(undefined, false);
        else if (key) open(key, true);
        else setGate({ kind: "prompt" });
      })
      .catch((e: unknown) => live && setGate({ kind: "down", message: errorText(e) }));
    return () => {
      live = false;
    };
  }, [url, open]);

  if (gate.kind === "checking") return <div className="center muted">Connecting…</div>;
  if (gate.kind === "down")
    return (
      <div className="center">
        <div className="error-box">{gate.message}</div>
      </div>
    );
  if (gate.kind === "prompt")
    return (
      <KeyPrompt
        reason={gate.reason}
        onKey={async (key) => {
          await createClient({ url, apiKey: key, fetch: pageFetch, retry: { attempts: 1 } }).listAgents({ limit: 1 });
          storeApiKey(key);
          open(key, true);
        }}
      />
    );
  return (
    <ApiProvider api={gate.api}>
      <QueryClientProvider client={queryClient}>
        {children({
          auth: gate.auth,
          signOut: () => {
            storeApiKey(undefined);
            setGate({ kind: "prompt" });
          },
        })}
      </QueryClientProvider>
    </ApiProvider>
  );
}

function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { retry: (n, e) => n < 2 && !(e instanceof SluiceApiError && e.status >= 400 && e.status < 500), refetchOnWindowFocus: false } },
  });
}

function KeyPrompt({ reason, onKey }: { reason?: string | undefined; onKey: (key: string) => Promise<void> }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="center">
      <form
        className="card key-prompt"
        data-testid="key-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          onKey(key.trim())
            .catch((err: unknown) => setError(err instanceof SluiceApiError && err.status === 401 ? "This key is unknown or revoked." : errorText(err)))
            .finally(() => setBusy(false));
        }}
      >
        <div className="brand big">
          <span className="logo" />
          Sluice
        </div>
        <p>
          This server requires an API key. Create one with <code>sluice auth create-key</code>.
        </p>
        {reason && <div className="error-box">{reason}</div>}
        <label htmlFor="api-key" className="field-label">
          API key
        </label>
        <input id="api-key" type="password" autoComplete="off" autoFocus value={key} onChange={(e) => setKey(e.target.value)} />
        {error && (
          <div className="field-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy || key.trim() === ""}>
          {busy ? "Checking…" : "Continue"}
        </button>
        <p className="muted small">Kept for this browser tab only.</p>
      </form>
    </div>
  );
}
