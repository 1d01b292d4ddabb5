/**
 * Worker thread body: runs the order pipeline (decode, parse, map) for large messages, see
 * pipeline-runner.ts. It compiles the same mapping texts as the main thread, again after a reload.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { compileMappingSet } from '../mapping/compile.js';
import type { MappingSet } from '../mapping/select.js';
import { runOrderPipeline } from './pipeline.js';
import { serializeResult, type WorkerRequest, type WorkerReply } from './pipeline-wire.js';

if (!parentPort) throw new Error('pipeline-worker.ts runs as a worker thread');
const port = parentPort;
let mappings: MappingSet | undefined;
let mappingError = 'no mappings given';

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'mappings') {
    try {
      mappings = compileMappingSet(request.sources);
    } catch (err) {
      // The main thread compiled these texts already; this cannot fail unless the compiler does.
      mappingError = errorMessage(err);
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
    reply = { id: request.id, ok: false, error: errorMessage(err) };
  }
  port.postMessage(reply);
});
