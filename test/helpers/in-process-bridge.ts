/**
 * The bridge started inside the test process, for tests that start many bridges (one per worklist
 * database) and talk to them only through real peers (findscu, HTTP clients): the modules are
 * loaded once, where a `mwl-bridge start` process per database spent most of its start-up
 * loading them. The command line and its start-up are tested with real processes elsewhere
 * (peers.ts startBridge, the shared conformance suite).
 */
import { startBridge, type RunningBridge } from '../../src/app/bridge.js';
import { importIntoStore, type ImportReport } from '../../src/app/import.js';
import { loadConfig } from '../../src/config/load.js';
import type { BridgeConfig, SettingKey } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';

export interface InProcessBridge {
  bridge: RunningBridge;
  dicomPort: number;
  httpPort: number;
  aeTitle: string;
  log(): string;
  stop(): Promise<void>;
}

/** Settings for a bridge on `dbPath`, on ports the system chooses, with no HL7 listener. */
export function inProcessConfig(dbPath: string, settings: Partial<Record<SettingKey, string>> = {}): BridgeConfig {
  return loadConfig({
    env: {},
    flags: { 'db.path': dbPath, 'mllp.port': 'off', 'dicom.port': '0', 'dicom.aeTitle': 'MWL_TEST', 'http.port': '0', 'http.host': '127.0.0.1', ...settings },
  });
}

export async function startInProcessBridge(dbPath: string, settings: Partial<Record<SettingKey, string>> = {}): Promise<InProcessBridge> {
  const config = inProcessConfig(dbPath, settings);
  const lines: string[] = [];
  const bridge = await startBridge(config, createLogger({ level: 'warn', write: (line) => lines.push(line) }));
  const { dicomPort, httpPort } = bridge;
  if (dicomPort === undefined || httpPort === undefined) throw new Error('the DICOM or HTTP listener did not start');
  return {
    bridge,
    dicomPort,
    httpPort,
    aeTitle: config['dicom.aeTitle'],
    log: () => lines.join('\n'),
    stop: () => bridge.stop(),
  };
}

/** `mwl-bridge import` into `dbPath`, in this process. */
export function importInProcess(dbPath: string, paths: string[]): Promise<ImportReport> {
  return importIntoStore(inProcessConfig(dbPath), paths);
}
