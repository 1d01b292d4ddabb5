/**
 * Test helpers that drive the real peers: the bridge (as `mwl-bridge start` runs it, in a bridge
 * host or as a child process) and its CLI, mllp_send
 * (python3-hl7), findscu / echoscu / dump2dcm (dcmtk). The bridge listens on ports the system
 * chooses; findscu's answers are read in this process (dicom-file.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { addToken } from '../../src/app/tokens.js';
import { readDicomFile, type DicomAnswer } from './dicom-file.js';
import { projectDir } from './project-dir.js';
import type { HostReply, HostRequest } from './bridge-host.js';
import { startBridgeHost } from './start-bridge-host.js';

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
  log(): string;
  /**
   * Resolves with the log once it matches (checked as the bridge's output arrives); fails after
   * timeoutMs (10 s) or when the bridge's output ends without a match.
   */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops it as SIGTERM does; resolves with the exit code `mwl-bridge start` ends with. */
  stop(): Promise<number | null>;
}

/** A bridge that is a `mwl-bridge start` process of its own. */
export interface BridgeProcess extends RunningBridge {
  process: ChildProcess;
}

export interface BridgeOptions {
  dir?: string;
  mllp?: boolean;
  http?: boolean;
}

/**
 * Starts a bridge as `mwl-bridge start` would with these flags, with a fresh database on ports the
 * system chooses (port 0; the bridge logs the ports it bound), and waits until its listeners are
 * ready. It runs in a bridge host (bridge-host.js: one of the run's, or this test process's own),
 * which loads the bridge's modules once for all the bridges it runs; tests about the process itself
 * (signals, exit code, stderr, its pid, the database's owner lock, which is per process) use
 * startBridgeProcess.
 */
export async function startBridge(extraArgs: string[] = [], opts: BridgeOptions = {}): Promise<RunningBridge> {
  const dir = opts.dir ?? tempDir();
  const output = (await bridgeHost()).start(startArgs(join(dir, 'worklist.db'), extraArgs, opts));
  return bridgeOn(output, dir, opts);
}

/** Starts `mwl-bridge start` as a child process, otherwise as startBridge. */
export async function startBridgeProcess(extraArgs: string[] = [], opts: BridgeOptions = {}): Promise<BridgeProcess> {
  const dir = opts.dir ?? tempDir();
  const child = spawn(process.execPath, [cliPath, ...startArgs(join(dir, 'worklist.db'), extraArgs, opts)], {
    cwd: projectDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new BridgeOutput(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  child.stdout.on('data', (d: Buffer) => {
    output.add(d.toString());
  });
  child.stderr.on('data', (d: Buffer) => {
    output.add(d.toString());
  });
  child.once('exit', (code) => {
    output.exited(code);
  });
  child.once('close', () => {
    output.close();
  });
  try {
    return { ...(await bridgeOn(output, dir, opts)), process: child };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

const AE_TITLE = 'MWL_TEST';

function startArgs(dbPath: string, extraArgs: string[], opts: BridgeOptions): string[] {
  return [
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
    AE_TITLE,
    '--http-port',
    opts.http === false ? 'off' : '0',
    ...extraArgs,
  ];
}

/**
 * What a bridge wrote (stdout and stderr as they came, or its log lines), and its end: the exit
 * code once known, then closed once all its output arrived.
 */
class BridgeOutput {
  text = '';
  code: number | null = null;
  closed = false;
  private readonly watchers = new Set<() => void>();
  private readonly exit: Promise<number | null>;
  private onExit: (code: number | null) => void = () => undefined;

  /** requestStop: asks the bridge to stop (SIGTERM), once. */
  constructor(private readonly requestStop: () => void) {
    this.exit = new Promise((resolveExit) => (this.onExit = resolveExit));
  }

  add(chunk: string): void {
    this.text += chunk;
    for (const watcher of this.watchers) watcher();
  }

  exited(code: number | null): void {
    this.code = code;
    this.onExit(code);
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers) watcher();
  }

  stop(): Promise<number | null> {
    this.requestStop();
    return this.exit;
  }

  /** Resolves when the output matches (checked as it arrives), rejects at the deadline or when the bridge's output ends. */
  waitFor(matches: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolveWait, rejectWait) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.watchers.delete(check);
        if (err) rejectWait(err);
        else resolveWait();
      };
      const check = (): void => {
        if (matches()) finish();
        else if (this.closed) finish(new Error(`the bridge exited (code ${String(this.code)}) before ${what}:\n${this.text}`));
      };
      const timer = setTimeout(() => {
        finish(new Error(`${what} not seen within ${timeoutMs / 1000} s:\n${this.text}`));
      }, timeoutMs);
      this.watchers.add(check);
      check();
    });
  }
}

/** The bridge writing `output`, once its listeners are ready. */
async function bridgeOn(output: BridgeOutput, dir: string, opts: BridgeOptions): Promise<RunningBridge> {
  // port=off: the plain port is off and the DICOM TLS port serves alone.
  const dicomReady = /dicom\.ready .*port=(\d+|off)/;
  // With mllp false the plain port is off: no listener, or only the MLLP TLS one (mllp.plain_port_off).
  const mllpReady = opts.mllp === false ? /mllp\.(disabled|plain_port_off)/ : /mllp\.ready .*port=(\d+)/;
  // Without the plain port, the HTTP server is either off or serves HTTPS only.
  const httpReady = opts.http === false ? /http\.disabled|http\.tls_ready/ : /http\.ready .*port=(\d+)/;
  try {
    await output.waitFor(() => dicomReady.test(output.text) && mllpReady.test(output.text) && httpReady.test(output.text), 30000, 'every listener ready');
  } catch (err) {
    // The bridge may still be starting (or hung): it is stopped, not left behind.
    void output.stop();
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dicomPort: Number(dicomReady.exec(output.text)![1]) || 0,
    mllpPort: opts.mllp === false ? 0 : Number(mllpReady.exec(output.text)![1]),
    httpPort: opts.http === false ? 0 : Number(httpReady.exec(output.text)![1]),
    aeTitle: AE_TITLE,
    dbPath: join(dir, 'worklist.db'),
    dir,
    log: () => output.text,
    async waitForLog(pattern: RegExp, timeoutMs = 10000) {
      await output.waitFor(() => pattern.test(output.text), timeoutMs, `log line ${pattern}`);
      return output.text;
    },
    async stop() {
      const code = await output.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * Where this test process's bridges run: a bridge host (bridge-host.js) of the run's (named in
 * MWL_TEST_BRIDGE_HOSTS by with-bridge-hosts.js) that is free, else one of its own, started on
 * first use. The connection holds this process's event loop only while a bridge runs, so a test
 * file that stopped its bridges ends as before.
 */
class BridgeHost {
  private readonly outputs = new Map<number, BridgeOutput>();
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.receive(parseReply(line));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const [id, output] of this.outputs) {
        output.add('the bridge host closed the connection (its stderr is in the test output)\n');
        this.end(id, output, 1);
      }
      connected = undefined;
    });
    this.holdEventLoop();
  }

  /** Connects to the first free host of the run's, or to one of this process's own. */
  static async connect(): Promise<BridgeHost> {
    for (const name of (process.env[HOSTS_ENV] ?? '').split(',').filter(Boolean)) {
      const socket = await greeting(name);
      if (socket) return new BridgeHost(socket);
    }
    const socket = await greeting(await startBridgeHost(projectDir));
    if (!socket) throw new Error('the bridge host of this test process refused it');
    return new BridgeHost(socket);
  }

  start(args: string[]): BridgeOutput {
    const id = this.nextId++;
    const output = new BridgeOutput(() => {
      if (!output.closed) this.send({ type: 'stop', id });
    });
    this.outputs.set(id, output);
    this.holdEventLoop();
    this.send({ type: 'start', id, args: args.slice(1), env: process.env });
    return output;
  }

  private send(request: HostRequest): void {
    this.socket.write(JSON.stringify(request) + '\n');
  }

  private receive(reply: HostReply): void {
    if (reply.type !== 'log' && reply.type !== 'exit') return;
    const output = this.outputs.get(reply.id);
    if (!output) return;
    if (reply.type === 'log') output.add(reply.lines.map((line) => line + '\n').join(''));
    else this.end(reply.id, output, reply.code);
  }

  private end(id: number, output: BridgeOutput, code: number): void {
    this.outputs.delete(id);
    output.exited(code);
    output.close();
    this.holdEventLoop();
  }

  private holdEventLoop(): void {
    if (this.outputs.size > 0) this.socket.ref();
    else this.socket.unref();
  }
}

/** The environment variable naming the run's bridge hosts (with-bridge-hosts.js). */
const HOSTS_ENV = 'MWL_TEST_BRIDGE_HOSTS';
const parseReply: (line: string) => HostReply = JSON.parse;

/** A connection to the host at `name` once it said hello, or undefined when it serves another test process (or is gone). */
function greeting(name: string): Promise<Socket | undefined> {
  return new Promise((resolveGreeting) => {
    const socket = connect(`\0${name}`);
    socket.once('error', () => {
      resolveGreeting(undefined);
    });
    socket.once('data', (chunk: Buffer) => {
      const hello = chunk.toString('utf8').startsWith(JSON.stringify({ type: 'hello' }));
      if (!hello) socket.destroy();
      // Anything after the greeting is the host's answer to a request not sent yet: there is none.
      resolveGreeting(hello ? socket : undefined);
    });
  });
}

let connected: Promise<BridgeHost> | undefined;
function bridgeHost(): Promise<BridgeHost> {
  connected ??= BridgeHost.connect();
  return connected;
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
export type FindscuResult = { answers: DicomAnswer[]; status: number; stderr: string };

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

/** A peer tool run without blocking this process: its exit code and what it wrote (stdout, then stderr). */
function runToolAsync(command: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string; stderr: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', rejectRun);
    child.once('close', (code) => {
      resolveRun({ code: code ?? -1, output: stdout + stderr, stderr });
    });
  });
}

/** findscu without blocking this process: for tests that run many queries side by side. */
export async function findscuAsync(port: number, aeTitle: string, keys: string[], opts: FindscuOptions = {}): Promise<FindscuResult> {
  const out = tempDir('mwl-find-');
  let run: { code: number; stderr: string };
  try {
    run = await runToolAsync('findscu', findscuArgs(port, aeTitle, keys, out, opts), 30000);
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    throw err;
  }
  return { answers: readFindscuAnswers(out, opts), status: run.code, stderr: run.stderr };
}

/**
 * Several query files over one association (one findscu run instead of one per query): a result
 * per file, in order. findscu numbers the answer files of all queries in one sequence, so each
 * query's answers are the numbers its -v log lists ("Received Find Response N (Pending)"); its
 * status is 0 when its final response says Success.
 */
export async function findscuBatchAsync(
  port: number,
  aeTitle: string,
  queryFiles: string[],
  opts: Omit<FindscuOptions, 'queryFile'> = {},
): Promise<FindscuResult[]> {
  const out = tempDir('mwl-find-');
  try {
    const { code, output } = await runToolAsync('findscu', ['-v', ...findscuArgs(port, aeTitle, [], out, opts), ...queryFiles], 60000);
    const results: FindscuResult[] = [];
    let answers: number[] | undefined;
    for (const line of output.split('\n')) {
      if (/Sending Find Request/.test(line)) answers = [];
      const pending = /Received Find Response (\d+) \(Pending/.exec(line);
      if (pending && answers) answers.push(Number(pending[1]));
      const final = /Received Final Find Response \((.*)\)/.exec(line);
      if (final && answers) {
        const files = answers.map((n) => join(out, `rsp${String(n).padStart(4, '0')}.dcm`));
        results.push({ answers: files.map((f) => readDicomFile(f, { utf8: !opts.asSent })), status: final[1] === 'Success' ? 0 : 1, stderr: output });
        answers = undefined;
      }
    }
    if (code !== 0 || results.length !== queryFiles.length)
      throw new Error(`findscu exited ${code} with ${results.length} of ${queryFiles.length} final responses: ${output.slice(-2000)}`);
    return results;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
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
 * dump2dcm without blocking this process, once per dump: the DICOM file written for `dump` in
 * `dir`. For tests that serve bridges in this process (a blocking run stops them answering) and
 * convert the same dumps many times.
 */
export function dump2dcmOnce(dump: string, dir: string): Promise<string> {
  const out = join(dir, `${dump.replace(/[^A-Za-z0-9.]+/g, '_')}.dcm`);
  let converted = dumpsConverted.get(out);
  if (!converted) {
    converted = runToolAsync('dump2dcm', ['--write-xfer-little', dump, out], 30000).then(({ code, stderr }) => {
      if (code !== 0) throw new Error(`dump2dcm ${dump} failed: ${stderr}`);
      return out;
    });
    dumpsConverted.set(out, converted);
  }
  return converted;
}
const dumpsConverted = new Map<string, Promise<string>>();

/**
 * Adds HTTP access tokens to a tokens file with the function `mwl-bridge token NAME --role ROLE`
 * runs (in this process: a CLI start per token cost 0.35 s of CPU; the command itself is tested in
 * http-calling-ae.test.ts); returns each token, by name.
 */
export function addTokens(file: string, holders: ReadonlyArray<readonly [name: string, role: 'read' | 'write']>): Record<string, string> {
  return Object.fromEntries(holders.map(([name, role]) => [name, addToken(file, name, role)]));
}
