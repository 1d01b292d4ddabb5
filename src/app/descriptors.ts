/** A look at the process's file-descriptor limit against what the listeners may hold. */
import { readFileSync } from 'node:fs';
import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';

/**
 * Warns when the process may run out of file descriptors before mllp.maxConnections and
 * dicom.maxAssociations are reached: at that limit accept() fails and new orders get no ACK.
 */
export function warnIfFewDescriptors(config: BridgeConfig, logger: Logger): void {
  let limit: number | undefined;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    limit = m ? Number(m[1]) : undefined;
  } catch {
    return; // not Linux: nothing to read
  }
  // The SCP keeps up to max(64, maxAssociations) connections that are still associating.
  const needed = config['mllp.maxConnections'] + config['dicom.maxAssociations'] + Math.max(64, config['dicom.maxAssociations']) + 64;
  if (limit !== undefined && limit < needed) {
    logger.warn('bridge.fd_limit_low', {
      limit,
      needed,
      hint: 'raise the open-files limit (ulimit -n, systemd LimitNOFILE) or lower mllp.maxConnections / dicom.maxAssociations',
    });
  }
}
