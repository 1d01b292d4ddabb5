/**
 * Bursts of orders for the durability tests: many distinct orders in a file, sent by mllp_send,
 * counting the ACKs as they come back (so a test can kill the bridge at a chosen moment).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectDir } from './peers.js';

/** A file of `count` distinct ORM^O01 orders (from samples/orm-mr-knee.hl7), batch k. */
export function orderFile(dir: string, k: number, count: number): string {
  const base = readFileSync(join(projectDir, 'samples', 'orm-mr-knee.hl7'), 'utf8').replace(/\r$/, '');
  const messages = Array.from({ length: count }, (_, i) => {
    const n = `${k}${String(i).padStart(4, '0')}`;
    return base.replace('MSG00002', `D${n}`).replace(/1002/g, `9${n}`);
  });
  const file = join(dir, `orders-${k}.hl7`);
  writeFileSync(file, messages.join('\r\n') + '\r\n');
  return file;
}

/** Runs mllp_send on a file; resolves with the control ids answered AA and AE/AR (whatever got through). */
export function sendFile(port: number, file: string, onAck: () => void): Promise<{ accepted: string[]; refused: string[] }> {
  return new Promise((resolve) => {
    const child = spawn('mllp_send', ['--loose', '-p', String(port), '-f', file, '127.0.0.1'], { env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    const accepted: string[] = [];
    const refused: string[] = [];
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /MSA\|(A[AER])\|([^|\r]+)/.exec(line);
        if (!m) continue;
        (m[1] === 'AA' ? accepted : refused).push(m[2]!);
        onAck();
      }
    });
    child.stderr.resume();
    child.once('exit', () => {
      resolve({ accepted, refused });
    });
  });
}
