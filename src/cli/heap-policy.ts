/**
 * How far V8 lets the JavaScript heap grow between full garbage collections, for a long-running
 * bridge. By default V8 may grow the heap to several times the live data when a program allocates
 * fast; a long C-FIND answer (every item parsed, matched, projected and encoded) does, and the
 * heap grew to ~140 MB around ~25 MB of live data. Growing by at most 20% keeps it near the live
 * data (measured, universal query over 100,000 items: peak RSS 248 -> 163-170 MB; its time, 35-47 s,
 * moved within the run-to-run noise of the machine).
 */
import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';

/** Applies the bridge's heap growth limit unless the operator chose one (node flag or NODE_OPTIONS). */
export function applyHeapPolicy(percent = 20): void {
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg.replace(/_/g, '-').startsWith(FLAG));
  if (!chosen) v8.setFlagsFromString(`${FLAG}=${percent}`);
}
