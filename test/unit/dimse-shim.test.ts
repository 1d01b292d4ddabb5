/**
 * What src/dicom/dimse-shim.ts relies on in dcmjs-dimse 0.3.3 beyond its typed API. If the library
 * changes any of it, a test here fails: the private members exist, and the behaviour the SCP builds
 * on holds when a real peer (a raw socket) talks to a session over a LibrarySocket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import dimse from 'dcmjs-dimse';
import {
  CEchoResponse,
  CFindResponse,
  HookedScp,
  LibrarySocket,
  Status,
  checkReceivedDatasets,
  datasetReadProblem,
  presentationContextOf,
  type Association,
  type CEchoRequest,
  type CFindRequest,
  type CFindResponseT,
} from '../../src/dicom/dimse-shim.js';
import { PduFramer, type UpperLayerState } from '../../src/dicom/pdu.js';
import { checkAssociateRequest } from '../../src/dicom/associate-request.js';
import {
  EXPLICIT_LE,
  IMPLICIT_LE,
  MWL_FIND,
  VERIFICATION,
  WireClient,
  announcedMaxPduLength,
  acceptedContexts,
  cCancel,
  cEcho,
  cFind,
  commandSet,
  dataset,
} from '../helpers/dicom-wire.js';

class TestSession extends HookedScp {
  readonly unserved: string[] = [];
  readonly echoContexts: Array<number | undefined> = [];
  readonly readProblems: Array<string | undefined> = [];
  peerMaxAfterAccept: number | undefined;

  protected unservedMessage(description: string): void {
    this.unserved.push(description);
  }

  override associationRequested(association: Association): void {
    for (const { id } of association.getPresentationContexts()) association.getPresentationContext(id).setResult(0, EXPLICIT_LE);
    this.acceptWithPduLimits(32768, 8192);
    this.peerMaxAfterAccept = this.currentAssociation?.getMaxPduLength();
  }

  override cEchoRequest(request: CEchoRequest, callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
    this.echoContexts.push(presentationContextOf(request)?.id);
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override cFindRequest(request: CFindRequest, callback: (r: CFindResponseT[]) => void): void {
    this.readProblems.push(datasetReadProblem(request.getDataset()));
    const pending = CFindResponse.fromRequest(request);
    pending.setStatus(Status.Pending);
    pending.setDataset(new dimse.Dataset({ PatientID: 'X' }, EXPLICIT_LE));
    this.sendOnRequestContext(request, pending);
    const final = CFindResponse.fromRequest(request);
    final.setStatus(Status.Success);
    callback([final]);
  }
}

describe('dcmjs-dimse 0.3.3 under the shim', () => {
  let server: Server;
  let port = 0;
  const sessions: TestSession[] = [];
  before(async () => {
    checkReceivedDatasets();
    dimse.log.setLevel('silent');
    server = createServer((socket) => {
      let state: UpperLayerState = 'awaiting-request';
      const framer = new PduFramer({ state: () => state, maxPduLength: () => 1 << 20 });
      const library = new LibrarySocket(
        (bytes) => socket.write(bytes),
        () => socket.end(),
      );
      sessions.push(new TestSession(library as never));
      socket.on('data', (chunk: Buffer) => {
        for (const pdu of framer.push(chunk)) {
          if (pdu.type === 0x01) state = 'associated';
          library.deliver(pdu.type === 0x01 ? checkedRequest(pdu.bytes) : pdu.bytes);
        }
      });
      socket.on('close', () => library.emit('close'));
    });
    await new Promise<void>((r) =>
      server.listen(0, '127.0.0.1', () => {
        r();
      }),
    );
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('has the private members the shim uses', () => {
    const network = Object.getPrototypeOf(dimse.Scp.prototype) as Record<string, unknown>;
    assert.equal(typeof network._performDimse, 'function');
    assert.equal(typeof network._sendDimse, 'function');
    assert.equal(typeof (dimse.Dataset.prototype as unknown as Record<string, unknown>)._fromElementsBuffer, 'function');
  });

  it('reads a sorted request with its own IDs, announces the SCP limit, and sends by the peer limit', async () => {
    const client = await WireClient.connect(port);
    try {
      const answer = await client.associate({
        called: 'SCP',
        calling: 'SHIM',
        maxPduLength: 8192,
        contexts: [
          { id: 5, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE] },
          { id: 1, abstractSyntax: MWL_FIND, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] },
        ],
      });
      assert.equal(answer?.type, 0x02);
      assert.deepEqual([...acceptedContexts(answer.bytes).keys()].sort(), [1, 5]);
      assert.equal(announcedMaxPduLength(answer.bytes), 32768);
      const session = sessions.at(-1)!;
      assert.equal(session.peerMaxAfterAccept, 8192);

      // A message without a data set, then others: each command set starts on a fresh stream.
      client.sendMessage(1, cCancel(3));
      client.sendMessage(5, cEcho(1));
      assert.equal((await client.finalResponse())?.status, 0x0000);
      client.sendMessage(5, cEcho(2));
      assert.equal((await client.finalResponse(1))?.status, 0x0000);
      assert.deepEqual(session.echoContexts, [5, 5], 'the request keeps its presentation context');

      // A data set of garbage is kept as a problem, not read as elements of VR UN.
      client.sendMessage(1, cFind(3), Buffer.from('not a data set at all, no'));
      await client.finalResponse(2);
      client.sendMessage(1, cFind(4), dataset({ '00100020': { vr: 'LO', Value: ['P'] } }));
      await client.waitFor(() => client.messages.filter((m) => m.commandField === 0x8020 && m.status === 0).length === 2);
      assert.match(session.readProblems[0]!, /announces|too few|VR/);
      assert.equal(session.readProblems[1], undefined);
      // The pending response went out on the request's context.
      assert.ok(client.messages.some((m) => m.status === 0xff00 && m.contextId === 1));

      // A command the SCP does not serve reaches the hook, not the library's silent default.
      client.sendMessage(
        1,
        commandSet({ '00000100': { vr: 'US', value: 0x0001 }, '00000110': { vr: 'US', value: 9 }, '00000800': { vr: 'US', value: 0x0101 } }),
      );
      await client.waitFor(() => session.unserved.length > 0, 3000);
      assert.deepEqual(session.unserved, ['DIMSE command 0x0001']);
    } finally {
      client.close();
    }
  });
});

function checkedRequest(bytes: Buffer): Buffer {
  const check = checkAssociateRequest(bytes);
  assert.ok(check.ok);
  return check.canonical;
}
