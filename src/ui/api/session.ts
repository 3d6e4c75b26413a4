/**
 * The API key of this browser tab. It lives in sessionStorage: it survives a reload of the tab and is
 * forgotten when the tab closes, and it is never put in a URL.
 */
const KEY = "sluice.apiKey";

export function storedApiKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeApiKey(key: string | undefined): void {
  try {
    if (key === undefined) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, key);
  } catch {
    // Storage disabled: the key lasts as long as the page.
  }
}
