/**
 * The one copy of dcmjs in the process: its CommonJS build, the one dcmjs-dimse requires. dcmjs
 * ships a separate ES module build, and `import 'dcmjs'` would load it as a second copy with its
 * own dictionary and log level (measured: +11 MB resident).
 */
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';

export const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof dcmjsModule;

// dcmjs warns on the console for every private tag it cannot name; the bridge reports its own errors.
dcmjs.log.setLevel('error');
