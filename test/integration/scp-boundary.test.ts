/**
 * The SCP's boundary: whatever a handler or the encoding throws ends one request or one
 * association, never the process. Handlers are injected into an SCP in this process; DCMTK's
 * echoscu and a raw peer check that it still answers. Also: dicom.host binds where it says.
 */
import { after, before, describe, it } from '../helpers/suites.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { WorklistScp } from '../../src/dicom/scp.js';
import type { AnswerStream } from '../../src/worklist/find.js';
import { createLogger } from '../../src/log.js';
import type { DicomJson } from '../../src/model/item.js';
import { skipWithout, startBridge } from '../helpers/peers.js';
import { EXPLICIT_LE, IMPLICIT_LE, MPPS, MWL_FIND, VERIFICATION, WireClient, cEcho, cFind, dataset, nCreate } from '../helpers/dicom-wire.js';

const skip = skipWithout('echoscu');

/** echoscu without blocking this process's event loop (the SCP runs in it). */
function echoscuAsync(port: number, aeTitle: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('echoscu', ['-to', '5', '-aec', aeTitle, '127.0.0.1', String(port)], { stdio: 'ignore' });
    child.once('exit', (code) => {
      resolve(code ?? -1);
    });
  });
}

const answer: DicomJson = { '00100020': { vr: 'LO', Value: ['P1'] } };
function streamOf(pages: Array<() => DicomJson[]>): AnswerStream {
  let at = 0;
  return {
    next: () => pages[at++]!(),
    nextItems: () => pages[at++]!(),
    nextDerived: <T>(_max: number, _key: string, derive: (item: DicomJson) => { value: T }) => pages[at++]!().map((item) => derive(item).value),
    matchOptions: { personNameCaseInsensitive: false },
    get done() {
      return at >= pages.length;
    },
    truncated: false,
    candidates: 0,
  };
}

describe('SCP boundary: a throwing handler ends a request or an association, never the process', { skip }, () => {
  let scp: WorklistScp;
  let port = 0;
  const logLines: string[] = [];
  let mode: 'throw' | 'throw-later' | 'unencodable' = 'throw';
  const ctx = (id: number, abstractSyntax: string) => ({ id, abstractSyntax, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] });

  before(async () => {
    scp = new WorklistScp({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
      policy: {
        aeTitle: 'BOUNDARY',
        checkCalledAeTitle: true,
        allowedCallingAeTitles: [],
        maxAssociations: 10,
        maxPduLength: 16384,
        maxMessageBytes: 1 << 20,
        acseTimeoutMs: 5000,
        dimseTimeoutMs: 5000,
      },
      find: () => {
        if (mode === 'throw') throw new Error('injected failure in the find handler');
        if (mode === 'throw-later')
          return streamOf([
            () => [answer],
            () => {
              throw new Error('injected failure on the second page');
            },
          ]);
        // An answer whose encoding throws.
        const bad = {} as DicomJson;
        Object.defineProperty(bad, '00100020', {
          enumerable: true,
          get: () => {
            throw new Error('injected failure while encoding');
          },
        });
        return streamOf([() => [bad]]);
      },
      mpps: {
        create: () => {
          throw new Error('injected failure in the MPPS handler');
        },
        set: () => {
          throw new Error('not used');
        },
      },
    });
    port = await scp.start();
  });
  after(async () => {
    await scp.stop();
  });

  it('a find handler that throws gets the request a failure status (C000); the association and the SCP go on', async () => {
    mode = 'throw';
    const c = await WireClient.connect(port);
    try {
      assert.equal((await c.associate({ called: 'BOUNDARY', calling: 'T', contexts: [ctx(1, MWL_FIND), ctx(3, VERIFICATION)] }))?.type, 0x02);
      c.sendMessage(1, cFind(1), dataset({ '00100020': { vr: 'LO' } }));
      assert.equal((await c.finalResponse())?.status, 0xc000);
      c.sendMessage(3, cEcho(2));
      assert.equal((await c.finalResponse(1))?.status, 0x0000, 'the same association still answers C-ECHO');
      mode = 'throw-later';
      const from = c.messages.length;
      c.sendMessage(1, cFind(3), dataset({ '00100020': { vr: 'LO' } }));
      assert.equal((await c.finalResponse(from))?.status, 0xc000);
      assert.equal(c.messages.slice(from).filter((m) => m.status === 0xff00).length, 1, 'the answer before the failure was sent');
    } finally {
      c.close();
    }
    assert.ok(logLines.some((l) => /dicom\.find_failed .*injected failure in the find handler/.test(l)));
    assert.equal(await echoscuAsync(port, 'BOUNDARY'), 0);
  });

  it('an answer that cannot be encoded ends its association with A-ABORT, logged with the peer; others are served', async () => {
    mode = 'unencodable';
    const c = await WireClient.connect(port);
    try {
      assert.equal((await c.associate({ called: 'BOUNDARY', calling: 'ENCODE', contexts: [ctx(1, MWL_FIND)] }))?.type, 0x02);
      c.sendMessage(1, cFind(1), dataset({ '00100020': { vr: 'LO' } }));
      assert.ok(await c.waitFor(() => c.pdus.some((p) => p.type === 0x07)), 'A-ABORT');
      await c.closedPromise;
    } finally {
      c.close();
    }
    assert.ok(
      logLines.some((l) => /dicom\.association_failed remote=127\.0\.0\.1:\d+ calling=ENCODE called=BOUNDARY .*injected failure while encoding/.test(l)),
      logLines.join('\n'),
    );
    assert.equal(await echoscuAsync(port, 'BOUNDARY'), 0);
  });

  it('an MPPS handler that throws gets Processing Failure (0110); the SCP goes on', async () => {
    const c = await WireClient.connect(port);
    try {
      assert.equal((await c.associate({ called: 'BOUNDARY', calling: 'T', contexts: [ctx(1, MPPS)] }))?.type, 0x02);
      c.sendMessage(1, nCreate(1, '1.2.3'), dataset({ '00400252': { vr: 'CS', Value: ['IN PROGRESS'] } }));
      assert.equal((await c.finalResponse())?.status, 0x0110);
    } finally {
      c.close();
    }
    assert.equal(await echoscuAsync(port, 'BOUNDARY'), 0);
    assert.equal(scp.address()?.address, '127.0.0.1');
  });
});

describe('dicom.host', { skip }, () => {
  it('binds the SCP to the address given (--dicom-host), as the kernel reports it', async () => {
    const bridge = await startBridge(['--dicom-host', '127.0.0.1'], { mllp: false });
    try {
      const portHex = bridge.dicomPort.toString(16).toUpperCase().padStart(4, '0');
      // /proc/net/tcp: local address as hex IPv4 (little endian), state 0A = LISTEN.
      const listening = readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1]?.endsWith(`:${portHex}`) && f[3] === '0A')
        .map((f) => f[1]);
      assert.deepEqual(listening, [`0100007F:${portHex}`]);
      assert.match(bridge.log(), /dicom\.ready host=127\.0\.0\.1 port=/);
    } finally {
      await bridge.stop();
    }
  });
});
