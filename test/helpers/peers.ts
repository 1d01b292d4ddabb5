/**
 * Test helpers that drive the real peers: the bridge's own CLI (as a child process), mllp_send
 * (python3-hl7), findscu / echoscu / dump2dcm (dcmtk). The bridge listens on ports the system
 * chooses; findscu's answers are read in this process (dicom-file.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { addToken } from '../../src/app/tokens.js';
import { readDicomFile, type DicomAnswer } from './dicom-file.js';
import { projectDir } from './project-dir.js';

export { readDicomFile, type DicomAnswer } from './dicom-file.js';
export { projectDir } from './project-dir.js';

export const cliPath = join(projectDir, 'dist', 'cli.js');

/** Whether a command is on PATH (looked up here: a shell may itself be missing from a reduced PATH). */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The reason to skip a real-peer test when its tools are missing, or false to run it. In CI
 * (CI=true) missing tools are a failure, not a skip: .ci/run installs them.
 */
export function skipWithout(...commands: string[]): string | false {
  const missing = commands.filter((c) => !hasCommand(c));
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map((c) => DEBIAN_PACKAGES[c] ?? 'dcmtk'))].join(' ');
  if (process.env.CI === 'true') throw new Error(`CI needs ${missing.join(', ')} (apt-get install -y ${packages})`);
  return `needs ${missing.join(', ')} on PATH (Debian: apt-get install ${packages})`;
}

/** The Debian package of each peer that is not part of dcmtk. */
const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  chromium: 'chromium',
  mllp_send: 'python3-hl7',
  strace: 'strace',
  python3: 'python3',
  Orthanc: 'orthanc',
  openssl: 'openssl',
  rsyslogd: 'rsyslog',
};

export function tempDir(prefix = 'mwl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A port that was free a moment ago, for peers that must be told their port before they listen
 * (wlmscpfs, Orthanc): another process may take it before the peer binds it, so callers retry with
 * another one when the peer fails to start (see worklist-peers.ts). Listeners of our own take port 0.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => {
        resolvePort(port);
      });
    });
  });
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? projectDir,
    env: { ...process.env, ...opts.env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What a before() hook started, as its after() hook sees it: still unassigned when before() failed,
 * whatever the variable's type says (and after() must not throw over before()'s own error).
 */
export function ifStarted<T>(started: T): T | undefined {
  return started;
}

export interface RunningBridge {
  mllpPort: number;
  dicomPort: number;
  /** 0 when started with http: false. */
  httpPort: number;
  aeTitle: string;
  dbPath: string;
  dir: string;
  process: ChildProcess;
  log(): string;
  /**
   * Resolves with the log once it matches (checked as the bridge's output arrives); fails after
   * timeoutMs (10 s) or when the bridge's output ends without a match.
   */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<number | null>;
}

/**
 * Starts `mwl-bridge start` with a fresh database on ports the system chooses (port 0; the bridge
 * logs the ports it bound), and waits until both listeners are ready.
 */
export async function startBridge(extraArgs: string[] = [], opts: { dir?: string; mllp?: boolean; http?: boolean } = {}): Promise<RunningBridge> {
  const dir = opts.dir ?? tempDir();
  const dbPath = join(dir, 'worklist.db');
  const aeTitle = 'MWL_TEST';
  const child = spawn(
    process.execPath,
    [
      cliPath,
      'start',
      '--db',
      dbPath,
      '--mllp-port',
      opts.mllp === false ? 'off' : '0',
      '--mllp-host',
      '127.0.0.1',
      '--dicom-port',
      '0',
      '--ae-title',
      aeTitle,
      '--http-port',
      opts.http === false ? 'off' : '0',
      ...extraArgs,
    ],
    { cwd: projectDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let closed = false;
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      r(code);
    }),
  );
  child.once('close', () => (closed = true));

  /** Resolves when the output matches (checked as it arrives), rejects at the deadline or when the bridge's output ends. */
  const waitForOutput = (matches: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise((resolveWait, rejectWait) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        child.off('close', onClose);
        if (err) rejectWait(err);
        else resolveWait();
      };
      // Registered after the listeners above, so the chunk is already in `output`.
      const check = (): void => {
        if (matches()) finish();
      };
      const onClose = (): void => {
        if (matches()) finish();
        else finish(new Error(`the bridge exited (code ${String(child.exitCode)}) before ${what}:\n${output}`));
      };
      const timer = setTimeout(() => {
        finish(new Error(`${what} not seen within ${timeoutMs / 1000} s:\n${output}`));
      }, timeoutMs);
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.on('close', onClose);
      if (matches()) finish();
      else if (closed) onClose();
    });

  // port=off: the plain port is off and the DICOM TLS port serves alone.
  const dicomReady = /dicom\.ready .*port=(\d+|off)/;
  // With mllp false the plain port is off: no listener, or only the MLLP TLS one (mllp.plain_port_off).
  const mllpReady = opts.mllp === false ? /mllp\.(disabled|plain_port_off)/ : /mllp\.ready .*port=(\d+)/;
  // Without the plain port, the HTTP server is either off or serves HTTPS only.
  const httpReady = opts.http === false ? /http\.disabled|http\.tls_ready/ : /http\.ready .*port=(\d+)/;
  try {
    await waitForOutput(() => dicomReady.test(output) && mllpReady.test(output) && httpReady.test(output), 30000, 'every listener ready');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const dicomPort = Number(dicomReady.exec(output)![1]) || 0;
  const mllpPort = opts.mllp === false ? 0 : Number(mllpReady.exec(output)![1]);
  const httpPort = opts.http === false ? 0 : Number(httpReady.exec(output)![1]);
  return {
    mllpPort,
    dicomPort,
    httpPort,
    aeTitle,
    dbPath,
    dir,
    process: child,
    log: () => output,
    async waitForLog(pattern: RegExp, timeoutMs = 10000) {
      await waitForOutput(() => pattern.test(output), timeoutMs, `log line ${pattern}`);
      return output;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Sends the messages of a file with mllp_send (one connection), returns the ACKs (segments split on CR). */
export function mllpSend(port: number, file: string): string[][] {
  const r = spawnSync('mllp_send', ['--loose', '-p', String(port), '-f', file, '127.0.0.1'], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`mllp_send failed (${r.status}): ${r.stderr}`);
  return parseAcks(r.stdout);
}

/** mllp_send without blocking the event loop, for listeners running in the test process itself. */
export async function mllpSendTextAsync(port: number, text: string): Promise<string[][]> {
  const dir = tempDir('mwl-hl7-');
  const file = join(dir, 'msg.hl7');
  writeFileSync(file, text);
  try {
    const child = spawn('mllp_send', ['--loose', '-p', String(port), '-f', file, '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`mllp_send failed (${code}): ${stderr}`);
    return parseAcks(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseAcks(stdout: string): string[][] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('MSH'))
    .map((ack) => ack.split('\r').filter(Boolean));
}

/**
 * Sends raw message bytes, each MLLP-framed in the file, with mllp_send (not --loose, which would
 * turn LF into CR and drop non-ASCII framing): the bytes reach the bridge exactly as given.
 */
export function mllpSendFramed(port: number, messages: Buffer[]): string[][] {
  const dir = tempDir('mwl-hl7-');
  const file = join(dir, 'framed.hl7');
  writeFileSync(file, Buffer.concat(messages.flatMap((m) => [Buffer.from([0x0b]), m, Buffer.from([0x1c, 0x0d])])));
  try {
    const r = spawnSync('mllp_send', ['-p', String(port), '-f', file, '127.0.0.1'], { encoding: 'utf8', timeout: 20000 });
    if (r.status !== 0) throw new Error(`mllp_send failed (${r.status}): ${r.stderr}`);
    return parseAcks(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends HL7 text (messages separated as in a file) through mllp_send. */
export function mllpSendText(port: number, text: string): string[][] {
  const dir = tempDir('mwl-hl7-');
  const file = join(dir, 'msg.hl7');
  writeFileSync(file, text);
  try {
    return mllpSend(port, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Sends the messages of several files, in order, through one mllp_send (one connection): one
 * python3 start instead of one per file. The bytes of each file are sent as they are.
 */
export function mllpSendFiles(port: number, files: string[]): string[][] {
  const dir = tempDir('mwl-hl7-');
  const batch = join(dir, 'batch.hl7');
  writeFileSync(batch, Buffer.concat(files.flatMap((f) => [readFileSync(f), Buffer.from('\r\n')])));
  try {
    return mllpSend(port, batch);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Field n (1-based, MSH-n counting the separator) of an HL7 segment string. */
export function hl7Field(segment: string, n: number): string {
  const parts = segment.split('|');
  return segment.startsWith('MSH') ? (n === 1 ? '|' : (parts[n - 1] ?? '')) : (parts[n] ?? '');
}

type FindscuOptions = { queryFile?: string; extra?: string[]; asSent?: boolean };
type FindscuResult = { answers: DicomAnswer[]; status: number; stderr: string };

function findscuArgs(port: number, aeTitle: string, keys: string[], out: string, opts: FindscuOptions): string[] {
  return [
    '-W',
    '-to',
    '10',
    '-aec',
    aeTitle,
    '-X',
    '-od',
    out,
    ...(opts.extra ?? []),
    '127.0.0.1',
    String(port),
    ...(opts.queryFile ? [opts.queryFile] : []),
    ...keys.flatMap((k) => ['-k', k]),
  ];
}

/** The answers findscu wrote to `out` (-X), read in this process; `out` is removed. */
function readFindscuAnswers(out: string, opts: FindscuOptions): DicomAnswer[] {
  try {
    return readdirSync(out)
      .sort()
      .map((f) => readDicomFile(join(out, f), { utf8: !opts.asSent }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Runs findscu -W with -k keys (and an optional query file); returns its answers, which findscu
 * writes to files (-X), read in this process. asSent: text as the bytes that came (latin1), not
 * converted to UTF-8.
 */
export function findscu(port: number, aeTitle: string, keys: string[], opts: FindscuOptions = {}): FindscuResult {
  const out = tempDir('mwl-find-');
  const r = spawnSync('findscu', findscuArgs(port, aeTitle, keys, out, opts), { encoding: 'utf8', timeout: 30000 });
  return { answers: readFindscuAnswers(out, opts), status: r.status ?? -1, stderr: r.stderr };
}

/** findscu without blocking this process: for tests that run many queries side by side. */
export function findscuAsync(port: number, aeTitle: string, keys: string[], opts: FindscuOptions = {}): Promise<FindscuResult> {
  const out = tempDir('mwl-find-');
  return new Promise((resolveFind, rejectFind) => {
    const child = spawn('findscu', findscuArgs(port, aeTitle, keys, out, opts), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => {
      rmSync(out, { recursive: true, force: true });
      rejectFind(err);
    });
    child.once('close', (code) => {
      try {
        resolveFind({ answers: readFindscuAnswers(out, opts), status: code ?? -1, stderr });
      } catch (err) {
        rejectFind(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

export function echoscu(port: number, aeTitle: string): number {
  return spawnSync('echoscu', ['-to', '5', '-aec', aeTitle, '127.0.0.1', String(port)]).status ?? -1;
}

/** dump2dcm a DCMTK text dump into a DICOM file. */
export function dump2dcm(dump: string, out: string): void {
  const r = spawnSync('dump2dcm', ['--write-xfer-little', dump, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dump2dcm ${dump} failed: ${r.stderr}`);
}

/**
 * Adds HTTP access tokens to a tokens file with the function `mwl-bridge token NAME --role ROLE`
 * runs (in this process: a CLI start per token cost 0.35 s of CPU; the command itself is tested in
 * http-calling-ae.test.ts); returns each token, by name.
 */
export function addTokens(file: string, holders: ReadonlyArray<readonly [name: string, role: 'read' | 'write']>): Record<string, string> {
  return Object.fromEntries(holders.map(([name, role]) => [name, addToken(file, name, role)]));
}
