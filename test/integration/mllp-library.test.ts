/**
 * Why the bridge replaces parts of node-hl7-server (see src/hl7/hl7-server-shim.ts): with the
 * stock Inbound of node-hl7-server 2.5.0, two messages sent by mllp_send on one connection reach
 * the handler three times (the first one twice), because the receive buffer is never reset; and a
 * listener given bindAddress 127.0.0.1 listens on every address. The bridge's listener, on the same
 * library's server, hands each message over exactly once and binds where it is told.
 * If a "stock" test starts failing after an upgrade, the library changed: revisit the shim.
 */
import { describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Server, Inbound } from 'node-hl7-server';
import { MllpListener } from '../../src/hl7/mllp.js';
import { silentLogger } from '../../src/log.js';
import { mllpSendTextAsync, projectDir, skipWithout } from '../helpers/peers.js';

const twoMessages = [
  'MSH|^~\\&|RIS|H|MWL|H|20261123||ORM^O01|MSG1|P|2.3.1\rPID|||123||DOE^JOHN\rORC|NW\r',
  'MSH|^~\\&|RIS|H|MWL|H|20261123||ORM^O01|MSG2|P|2.3.1\rPID|||456||ROE^JANE\rORC|NW\r',
].join('\r\n');

describe('MLLP connection handling', { skip: skipWithout('mllp_send') }, () => {
  it('node-hl7-server 2.5.0 stock Inbound re-delivers the first message of a connection', async () => {
    const seen: string[] = [];
    const server = new Server({ bindAddress: '127.0.0.1' });
    // The library calls its handler and drops what it returns (`void this._handler(req, res)`).
    const inbound = server.createInbound({ port: 0 }, (req, res) => {
      seen.push(req.getMessage().get('MSH.10').toString());
      void res.sendResponse('AA');
    });
    await new Promise((r) => inbound.once('listen', r));
    const port = boundAddress(inbound).port;
    try {
      const acks = await mllpSendTextAsync(port, twoMessages);
      assert.equal(acks.length, 2);
    } finally {
      await inbound.close();
    }
    assert.deepEqual(seen, ['MSG1', 'MSG1', 'MSG2']);
  });

  it("the bridge's listener hands each message over once, in order", async () => {
    const seen: string[] = [];
    const listener = new MllpListener({
      host: '127.0.0.1',
      port: 0,
      maxFrameBytes: 1024 * 1024,
      logger: silentLogger,
      onMessage: (bytes) => {
        const id = bytes.toString('latin1').split('\r')[0]!.split('|')[9]!;
        seen.push(id);
        return Promise.resolve(Buffer.from(`MSH|^~\\&|MWL|H|RIS|H|20261123||ACK^O01|A${id}|P|2.3.1\rMSA|AA|${id}\r`));
      },
    });
    const port = await listener.start();
    try {
      const acks = await mllpSendTextAsync(port, twoMessages);
      assert.deepEqual(
        acks.map((a) => a[1]),
        ['MSA|AA|MSG1', 'MSA|AA|MSG2'],
      );
    } finally {
      await listener.stop();
    }
    assert.deepEqual(seen, ['MSG1', 'MSG2']);
  });
});

/** Where a stock Inbound listens (its listening socket is private; the port is the system's choice). */
function boundAddress(inbound: Inbound): { address: string; port: number } {
  return (inbound as unknown as { _socket: { address(): { address: string; port: number } } })._socket.address();
}

/** Resolves true when a TCP connection to host:port is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

describe('node-hl7-server bind address (issue 16, finding 8)', () => {
  it('the shim is written for node-hl7-server 2.5.0, whose private members it replaces are still there', () => {
    const pkg = JSON.parse(readFileSync(join(projectDir, 'node_modules', 'node-hl7-server', 'package.json'), 'utf8')) as { version: string };
    assert.equal(pkg.version, '2.5.0', 'node-hl7-server changed: check src/hl7/hl7-server-shim.ts against the new version');
    const proto = Inbound.prototype as unknown as Record<string, unknown>;
    assert.equal(typeof proto._listen, 'function');
    assert.equal(typeof proto._onTcpClientConnected, 'function');
    // The defect the shim works around: the address goes to listen() as "hostname", which Node ignores.
    assert.match(String(proto._listen), /hostname:\s*bindAddress/);
  });

  it('stock node-hl7-server 2.5.0 given bindAddress 127.0.0.1 listens on every address', async () => {
    const inbound = new Server({ bindAddress: '127.0.0.1' }).createInbound({ port: 0 }, () => undefined);
    await new Promise((r) => inbound.once('listen', r));
    try {
      const { address, port } = boundAddress(inbound);
      assert.ok(address === '::' || address === '0.0.0.0', `bound to ${address}`);
      assert.equal(await connects('127.0.0.2', port), true, 'reachable on another local address');
    } finally {
      await inbound.close();
    }
  });

  it("the bridge's listener binds only the address it is given", async () => {
    const listener = new MllpListener({ host: '127.0.0.1', port: 0, maxFrameBytes: 1024, logger: silentLogger, onMessage: () => Promise.resolve(null) });
    const port = await listener.start();
    try {
      assert.deepEqual(listener.address(), { address: '127.0.0.1', port });
      assert.equal(await connects('127.0.0.1', port), true);
      assert.equal(await connects('127.0.0.2', port), false, 'not reachable on another local address');
    } finally {
      await listener.stop();
    }
  });
});
