/**
 * Worker thread body: decodes and parses large HL7 messages (see decode-offload.ts) so that their
 * parsing never holds the event loop that serves the other connections and the DICOM SCP.
 */
import { parentPort } from 'node:worker_threads';
import { BridgeError } from '../errors.js';
import type { CharsetMismatchPolicy } from './charset.js';
import { decodeHl7Message } from './message.js';
import type { DecodeJob, DecodeReply } from './decode-offload.js';

const port = parentPort!;
port.on('message', (job: DecodeJob) => {
  let reply: DecodeReply;
  try {
    const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
    const decoded = decodeHl7Message(bytes, job.policy as CharsetMismatchPolicy);
    reply = { id: job.id, ok: true, message: decoded.message, ...(decoded.charsetMismatch ? { charsetMismatch: decoded.charsetMismatch } : {}) };
  } catch (err) {
    const e = err instanceof BridgeError ? err : new BridgeError('HL7_PARSE', `unexpected failure: ${(err as Error).message}`);
    reply = { id: job.id, ok: false, error: { code: e.code, message: e.message, location: e.location, hint: e.hint } };
  }
  port.postMessage(reply);
});
