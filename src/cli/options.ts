/** Parsers of command-line option values that several commands share (cheap: loaded with every command's definition). */

/** Collects a repeatable option's values: `--label a --label b` → ["a", "b"]. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];
