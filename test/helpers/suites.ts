/**
 * node:test's describe, it and hooks, with one difference: a suite's `skip` reaches every test in
 * it, so that each one is reported as skipped and the runner's closing `# skipped N` counts it.
 * Node's own describe(name, { skip }) does not run the suite's body, and on Node 20 the summary
 * then says `# tests 0 / # skipped 0` for a file whose peers are missing.
 * In a skipped suite the hooks are not registered: they start bridges and peers for tests that
 * will not run.
 */
import * as nodeTest from 'node:test';
import type { TestContext } from 'node:test';

export interface SuiteOptions {
  /** A reason to skip every test of the suite (see skipWithout), or false to run them. */
  skip?: string | false;
  /** How many of the suite's tests (or inner suites) run at once: for tests that mostly wait on peers. */
  concurrency?: number;
}

export interface TestOptions {
  skip?: string | false;
  timeout?: number;
}

// unknown, not void: the body's result is checked (a promise means the tests were declared too late).
type SuiteBody = () => unknown;
type TestBody = (t: TestContext) => void | Promise<void>;
type HookBody = () => void | Promise<void>;

/** Reasons of the skipped suites whose bodies are being declared (innermost last). */
const skipReasons: string[] = [];

export function describe(name: string, body: SuiteBody): void;
export function describe(name: string, options: SuiteOptions, body: SuiteBody): void;
export function describe(name: string, optionsOrBody: SuiteOptions | SuiteBody, maybeBody?: SuiteBody): void {
  const [options, body] = typeof optionsOrBody === 'function' ? [{}, optionsOrBody] : [optionsOrBody, maybeBody!];
  const reason = options.skip || undefined;
  // node:test runs a suite's body synchronously inside describe(), so the reason is in force
  // exactly while the body declares its tests.
  void nodeTest.describe(name, options.concurrency === undefined ? {} : { concurrency: options.concurrency }, () => {
    if (reason) skipReasons.push(reason);
    try {
      const result: unknown = body();
      if (result !== undefined) throw new Error(`the body of suite "${name}" must declare its tests synchronously`);
    } finally {
      if (reason) skipReasons.pop();
    }
  });
}

export function it(name: string, body: TestBody): void;
export function it(name: string, options: TestOptions, body: TestBody): void;
export function it(name: string, optionsOrBody: TestOptions | TestBody, maybeBody?: TestBody): void {
  const [options, body] = typeof optionsOrBody === 'function' ? [{}, optionsOrBody] : [optionsOrBody, maybeBody!];
  const suiteReason = skipReasons[0];
  void nodeTest.it(name, { ...options, skip: suiteReason ?? options.skip ?? false }, body);
}

function hook(register: (fn: HookBody) => void): (fn: HookBody) => void {
  return (fn) => {
    if (skipReasons.length === 0) register(fn);
  };
}

export const before = hook((fn) => {
  nodeTest.before(fn);
});
export const after = hook((fn) => {
  nodeTest.after(fn);
});
export const beforeEach = hook((fn) => {
  nodeTest.beforeEach(fn);
});
export const afterEach = hook((fn) => {
  nodeTest.afterEach(fn);
});
