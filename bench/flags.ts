/** Numeric command-line options of the bench scripts: --NAME VALUE, with defaults; a value that is not a number stops the run, naming the option. */
import { parseArgs } from 'node:util';

export function numberFlags<K extends string>(defaults: Record<K, number>): Record<K, number> {
  const names = Object.keys(defaults) as K[];
  const { values } = parseArgs({ options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])) });
  const flags = { ...defaults };
  for (const name of names) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`--${name} must be a number, not "${raw}"`);
    flags[name] = value;
  }
  return flags;
}
