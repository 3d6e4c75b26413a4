/**
 * Reads a server-sent event stream with fetch (EventSource cannot send the Authorization header).
 * Resolves when the stream ends; rejects with the HTTP status on an error answer.
 */
export interface SseMessage {
  event: string;
  data: string;
}

export class SseHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function readSse(url: string, apiKey: string | undefined, signal: AbortSignal, onMessage: (message: SseMessage) => void): Promise<void> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const response = await fetch(url, { headers, signal });
  if (!response.ok || !response.body) throw new SseHttpError(response.status, `event stream answered HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (data.length > 0) onMessage({ event, data: data.join("\n") });
        event = "message";
        data = [];
      } else if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
  }
}
