/**
 * Worker thread body: runs the order pipeline (decode, parse, map) for large messages, see
 * pipeline-runner.ts. It loads the same mapping files as the main thread, again after a reload.
 */
import { parentPort } from 'node:worker_threads';
import { loadMappingSet } from '../mapping/load.js';
import type { MappingSet } from '../mapping/select.js';
import { runOrderPipeline } from './pipeline.js';
import { serializeResult, type WorkerRequest, type WorkerReply } from './pipeline-wire.js';

const port = parentPort!;
let mappings: MappingSet | undefined;
let mappingError = 'no mapping files given';

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'mappings') {
    try {
      mappings = loadMappingSet(request.files);
    } catch (err) {
      // The main thread validated these files; a change since keeps the previous set here too.
      mappingError = (err as Error).message;
    }
    return;
  }
  let reply: WorkerReply;
  try {
    if (!mappings) throw new Error(mappingError);
    const set = mappings;
    const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    reply = { id: request.id, ok: true, result: serializeResult(runOrderPipeline(bytes, { ...request.options, mappings: () => set })) };
  } catch (err) {
    reply = { id: request.id, ok: false, error: (err as Error).message };
  }
  port.postMessage(reply);
});
