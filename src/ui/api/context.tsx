/**
 * The typed API client of the page, shared through React context. The server is the page's own origin.
 * A 401 answer from any call clears the key and brings back the key prompt, so nothing stays reachable
 * with a revoked key.
 */
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { createClient, SluiceApiError, type SluiceClient } from "../../client/index.js";
import { Transport } from "../../client/transport.js";

export interface Api {
  client: SluiceClient;
  /** For the run views (`src/api/run-views.ts`), which the typed client does not carry. */
  transport: Transport;
  /** Base URL (the page's origin). */
  url: string;
  apiKey: string | undefined;
}

const ApiContext = createContext<Api | null>(null);

/**
 * The page's fetch, called as a plain function: the client's Transport calls its fetch as a method, and a
 * browser's fetch refuses to run with another `this` ("Illegal invocation").
 */
export const pageFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

export function apiFor(url: string, apiKey: string | undefined, onUnauthorized: () => void): Api {
  // A fetch that reports 401 answers once, before the client turns them into errors.
  const watched: typeof fetch = async (input, init) => {
    const response = await pageFetch(input, init);
    if (response.status === 401) onUnauthorized();
    return response;
  };
  const options = { url, apiKey, fetch: watched, retry: { attempts: 3, baseDelayMs: 300, maxDelayMs: 1500 }, timeoutMs: 30_000 };
  return { client: createClient(options), transport: new Transport(options), url, apiKey };
}

export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  const value = useMemo(() => api, [api]);
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiProvider");
  return api;
}

/** True when the server does not have this route yet (an older server): the caller falls back. */
export const isMissingRoute = (error: unknown): boolean => error instanceof SluiceApiError && error.status === 404 && /^no route /.test(error.message);

/** A short text for an error shown in the page. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
