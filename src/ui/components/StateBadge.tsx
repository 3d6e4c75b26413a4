import { stateColor } from "./format.js";

/** A state as a coloured pill; `data-state` lets tests and styles find it. */
export function StateBadge({ state, title }: { state: string | null | undefined; title?: string | undefined }) {
  const name = state ?? "Not started";
  return (
    <span className="badge" data-state={name} title={title ?? name} style={{ "--c": stateColor(state) } as React.CSSProperties}>
      <span className="dot" />
      {name}
    </span>
  );
}

/** Per-state counts as small coloured numbers ("12 ✓ 3 ✗"), largest first. */
export function StateCounts({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return (
    <span className="counts">
      {entries.map(([state, n]) => (
        <span key={state} className="count" title={`${n} ${state}`} data-count-state={state} style={{ "--c": stateColor(state) } as React.CSSProperties}>
          <span className="dot" />
          {n.toLocaleString()} {state}
        </span>
      ))}
    </span>
  );
}
