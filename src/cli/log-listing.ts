/**
 * The shape `messages` and `queries` share: `COMMAND show ID` prints one entry in full, `COMMAND
 * [filters] [--limit N]` lists entries newest first.
 */
import type { BridgeConfig } from '../config/schema.js';

export interface LogListing<T> {
  /** "messages", "queries". */
  command: string;
  /** "message", "query". */
  noun: string;
  find(config: BridgeConfig, id: number): T | undefined;
  show(entry: T): string;
  list(config: BridgeConfig, limit: number): string;
}

export function runLogListing<T>(listing: LogListing<T>, config: BridgeConfig, limitFlag: string | boolean | undefined, args: string[]): number {
  const { command, noun } = listing;
  if (args[0] === 'show') {
    const id = Number(args[1]);
    const entry = Number.isInteger(id) ? listing.find(config, id) : undefined;
    if (entry === undefined) {
      process.stderr.write(`mwl-bridge ${command} show: no ${noun} ${args[1] ?? ''} in ${config['db.path']} (list them with "mwl-bridge ${command}")\n`);
      return 1;
    }
    process.stdout.write(listing.show(entry) + '\n');
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`mwl-bridge ${command}: unexpected "${args.join(' ')}" (use "${command} show ID" or filters)\n`);
    return 2;
  }
  const limit = limitFlag === undefined ? 100 : Number(limitFlag);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`mwl-bridge ${command}: --limit must be a positive whole number\n`);
    return 2;
  }
  process.stdout.write(listing.list(config, limit));
  return 0;
}
