/**
 * An AA is written to the sender only after the order's WAL frames are on disk. A kill -9 cannot
 * show this (the kernel keeps written pages), so the bridge's system calls are traced with strace
 * while one sender sends orders one after the other: for every ACK, the WAL writes before it must
 * be followed by an fsync or fdatasync of the WAL before the ACK's write. Group commits run with
 * synchronous=NORMAL and their fsync happens off the event loop (store/wal-sync.ts); this checks
 * the result, not how. (With several senders the next group's frames are written while the
 * previous group's sync runs, and a trace cannot tell which frames belong to which ACK.)
 */
import { describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { orderFile, sendFile } from '../helpers/burst.js';
import { skipWithout, startBridgeProcess, tempDir } from '../helpers/peers.js';

type TraceEvent = { kind: 'walWrite'; fd: number } | { kind: 'walSync'; fd: number } | { kind: 'ack'; text: string };

/**
 * Events in completion order (writes and syncs) or start order (ACK writes), from `strace -f -tt
 * -s 300`. Descriptors are reused (SQLite's statement journals come and go), so which ones are the
 * WAL is followed through openat and close, starting from those open when strace attached.
 */
function traceEvents(trace: string, walFdsAtAttach: Set<number>): TraceEvent[] {
  const walFds = new Set(walFdsAtAttach);
  const events: TraceEvent[] = [];
  const pending = new Map<string, { name: string; fd: number; wal: boolean }>();
  const completed = (name: string, fd: number, result: number, wal: boolean): void => {
    if (name === 'openat' && wal && result >= 0) walFds.add(result);
    if (name === 'close') walFds.delete(fd);
    if (result < 0 || !walFds.has(fd)) return;
    if (name === 'pwrite64' || name === 'write' || name === 'writev') events.push({ kind: 'walWrite', fd });
    else if (name === 'fsync' || name === 'fdatasync') events.push({ kind: 'walSync', fd });
  };
  for (const line of trace.split('\n')) {
    // strace pads the pid column ("5531  14:50:37.37 ...").
    const m = /^(\d+)\s+\S+ (.*)$/.exec(line);
    if (!m) continue;
    const [, pid, rest] = m as unknown as [string, string, string];
    const resumed = /^<\.\.\. (\w+) resumed>.*= (-?\d+)/.exec(rest);
    if (resumed) {
      const started = pending.get(pid);
      pending.delete(pid);
      if (started) completed(started.name, started.fd, Number(resumed[2]), started.wal);
      continue;
    }
    const call = /^(\w+)\((AT_FDCWD|\d+)/.exec(rest);
    if (!call) continue;
    const [name, fd, wal] = [call[1]!, Number(call[2]), /worklist\.db-wal"/.test(rest)];
    if ((name === 'write' || name === 'writev') && /MSA\|AA\|/.test(rest)) events.push({ kind: 'ack', text: /MSA\|AA\|([^|\\]+)/.exec(rest)![1]! });
    if (rest.endsWith('<unfinished ...>')) pending.set(pid, { name, fd, wal });
    else {
      const result = /= (-?\d+)/.exec(rest);
      if (result) completed(name, fd, Number(result[1]), wal);
    }
  }
  return events;
}

describe('ACK after fsync', { skip: skipWithout('mllp_send', 'strace') }, () => {
  it('every AA is written after the WAL holding its order was synced to disk', async (t) => {
    const dir = tempDir('mwl-fsync-');
    const file = orderFile(dir, 0, 60);
    const bridge = await startBridgeProcess([], { dir });
    const pid = bridge.process.pid!;
    const traceFile = join(dir, 'trace');
    const strace = spawn(
      'strace',
      ['-f', '-tt', '-s', '300', '-e', 'trace=openat,close,pwrite64,write,writev,fsync,fdatasync', '-o', traceFile, '-p', String(pid)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let straceOutput = '';
    strace.stderr.on('data', (d: Buffer) => (straceOutput += d.toString()));
    const straceExited = new Promise<void>((resolve) =>
      strace.once('exit', () => {
        resolve();
      }),
    );
    for (let waited = 0; !/attached/.test(straceOutput); waited += 50) {
      if (waited > 10000 || strace.exitCode !== null) {
        bridge.process.kill('SIGKILL');
        t.skip(`strace cannot attach here: ${straceOutput.trim()}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // The descriptors that are the WAL when the trace starts (SQLite opened it at start-up).
    const walFds = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .filter((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith('worklist.db-wal');
          } catch {
            return false;
          }
        })
        .map(Number),
    );
    assert.ok(walFds.size > 0, 'the bridge holds the WAL open');
    const { accepted } = await sendFile(bridge.mllpPort, file, () => undefined);
    assert.equal(accepted.length, 60, 'every order answered AA');

    await bridge.stop();
    await straceExited;

    const events = traceEvents(readFileSync(traceFile, 'utf8'), walFds);
    const acks = events.filter((e) => e.kind === 'ack');
    assert.equal(acks.length, 60, 'every AA seen in the trace');
    let unsyncedWrite = false;
    const early: string[] = [];
    for (const e of events) {
      if (e.kind === 'walWrite') unsyncedWrite = true;
      else if (e.kind === 'walSync') unsyncedWrite = false;
      else if (unsyncedWrite) early.push(e.text);
    }
    assert.deepEqual(early, [], 'ACKs written while WAL frames written before them were not yet synced');
    const syncs = events.filter((e) => e.kind === 'walSync').length;
    t.diagnostic(`60 orders: ${events.filter((e) => e.kind === 'walWrite').length} WAL writes, ${syncs} WAL syncs, every AA after its sync`);
  });
});
