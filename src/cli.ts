#!/usr/bin/env node
/**
 * mwl-bridge command line: start | import | map. Thin: parses flags, builds the config, calls modules.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mappingFiles, startBridge } from './app.js';
import { loadConfig } from './config/load.js';
import { configFileEnvVar, envVarFor, settingsSchema, type BridgeConfig, type SettingKey, type SettingSpec } from './config/schema.js';
import { importWorklistFiles } from './dicom/import.js';
import { errorMessage } from './errors.js';
import { ackErrorFor, ackFor, runOrderPipeline } from './hl7/order-handler.js';
import { createLogger, type LogFormat, type LogLevel } from './log.js';
import { MappingSet } from './mapping/select.js';
import { WorklistStore, type StoredMessage } from './store/items.js';
import { checkOrderSupported } from './worklist/orders.js';

const USAGE = `Usage: mwl-bridge <command> [options]

Commands:
  start [--config FILE] [--db PATH] [--mllp-port N] [--dicom-port N] [--ae-title AE] [--mapping FILE]
        Start the MLLP listener and the DICOM worklist SCP (--mllp-port 0: no HL7 listener).
  import [--db PATH] FILE.wl|FOLDER...
        Load DICOM worklist files (as served by wlmscpfs or Orthanc) into the store.
  map [--mapping FILES] MESSAGE.hl7
        Show the worklist item a message would produce, and its ACK, without storing anything.
  messages [--db PATH] [--since DATE] [--until DATE] [--patient ID] [--accession NUMBER]
           [--outcome stored|ignored|duplicate|rejected|error] [--control-id ID] [--limit N]
        List logged inbound messages, newest first (dates are UTC, YYYY-MM-DD or ISO 8601).
  messages show ID [--db PATH]
        Show one logged message in full: raw message, outcome, ACK sent, items touched.

Every setting can also come from a YAML config file (--config or ${configFileEnvVar}) and from
environment variables; run "mwl-bridge help settings" for the list.`;

type Flags = Record<string, string | boolean | undefined>;

const settingFlags = Object.entries(settingsSchema as Record<SettingKey, SettingSpec>).filter(([, s]) => s.flag);
const parseOptions = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(settingFlags.map(([, s]) => [s.flag!, { type: 'string' }])),
} as const;
const MESSAGE_FILTERS = ['since', 'until', 'patient', 'accession', 'outcome', 'control-id', 'limit'] as const;
const messagesOptions = { ...parseOptions, ...Object.fromEntries(MESSAGE_FILTERS.map((f) => [f, { type: 'string' }])) } as const;

function buildConfig(flags: Flags): BridgeConfig {
  const fromFlags: Partial<Record<SettingKey, string>> = {};
  for (const [key, spec] of settingFlags) {
    const value = flags[spec.flag!];
    if (typeof value === 'string') fromFlags[key as SettingKey] = value;
  }
  const file = typeof flags.config === 'string' ? flags.config : process.env[configFileEnvVar];
  return loadConfig({ file, env: process.env, flags: fromFlags });
}

function settingsHelp(): string {
  const lines = ['Settings (config file key / environment variable / flag; default):', ''];
  for (const [key, spec] of Object.entries(settingsSchema as Record<SettingKey, SettingSpec>)) {
    lines.push(`  ${key}  ${envVarFor(key)}${spec.flag ? `  --${spec.flag}` : ''}  (default ${spec.default})`);
    lines.push(`      ${spec.doc}`);
  }
  return lines.join('\n');
}

async function commandStart(flags: Flags): Promise<number> {
  const config = buildConfig(flags);
  const logger = createLogger({ level: config['log.level'] as LogLevel, format: config['log.format'] as LogFormat });
  const bridge = await startBridge(config, logger);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info('bridge.stopping', { signal });
      bridge.stop().then(resolve, (err: unknown) => {
        logger.error('bridge.stop_failed', { error: errorMessage(err) });
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => bridge.reloadMappings());
  });
  logger.info('bridge.stopped');
  return 0;
}

function commandImport(flags: Flags, files: string[]): number {
  if (files.length === 0) {
    process.stderr.write('mwl-bridge import: give one or more .wl files or folders\n');
    return 2;
  }
  const config = buildConfig(flags);
  const store = WorklistStore.open(config['db.path']);
  try {
    const report = importWorklistFiles(store, files);
    for (const f of report.failed) process.stderr.write(`FAILED ${f.file}: ${f.error}\n`);
    process.stdout.write(`imported ${report.imported.length} item(s) into ${config['db.path']}` + (report.failed.length ? `, ${report.failed.length} file(s) failed\n` : '\n'));
    return report.failed.length ? 1 : 0;
  } finally {
    store.close();
  }
}

function commandMap(flags: Flags, files: string[]): number {
  if (files.length !== 1) {
    process.stderr.write('mwl-bridge map: give exactly one HL7 message file\n');
    return 2;
  }
  const config = buildConfig(flags);
  const mappings = MappingSet.load(mappingFiles(config));
  const bytes = readFileSync(files[0]!);
  const bridgeApplication = config['dicom.aeTitle'];
  const result = runOrderPipeline(bytes, { mappings: () => mappings, uidRoot: config['uid.root'], bridgeApplication }, { check: checkOrderSupported });
  const out: string[] = [`mapping: ${result.mapping ? `${result.mapping.name} (${result.mapping.file})` : 'none applied'}`];
  if (result.order) {
    const procedures = result.order.procedures;
    for (const [i, p] of procedures.entries()) {
      out.push('', `worklist item ${i + 1} of ${procedures.length}: order control ${p.orderControl}${p.orderStatus ? `, order status ${p.orderStatus}` : ''}`);
      const width = Math.min(70, Math.max(...p.trace.map((t) => t.attribute.length)));
      for (const t of p.trace) out.push(`  ${t.attribute.padEnd(width)}  ${JSON.stringify(t.value)}  <- ${t.source}`);
    }
    out.push('', 'ACK that would be sent:', ackFor(result, 'AA', undefined, bridgeApplication).replace(/\r/g, '\n'));
    process.stdout.write(out.join('\n'));
    return 0;
  }
  const { code, error } = ackErrorFor(result.error!);
  out.push(`rejected: ${result.error!.describe()}`, '', 'ACK that would be sent:', ackFor(result, code, error, bridgeApplication).replace(/\r/g, '\n'));
  process.stdout.write(out.join('\n'));
  return 1;
}

function commandMessages(flags: Flags, args: string[]): number {
  const config = buildConfig(flags);
  const store = WorklistStore.open(config['db.path']);
  try {
    if (args[0] === 'show') {
      const id = Number(args[1]);
      const m = Number.isInteger(id) ? store.getMessage(id) : undefined;
      if (!m) {
        process.stderr.write(`mwl-bridge messages show: no message ${args[1] ?? ''} in ${config['db.path']}\n`);
        return 1;
      }
      process.stdout.write(formatMessage(m) + '\n');
      return 0;
    }
    if (args.length > 0) {
      process.stderr.write(`mwl-bridge messages: unexpected "${args.join(' ')}" (use "messages show ID" or filters)\n`);
      return 2;
    }
    const limit = flags.limit === undefined ? 100 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      process.stderr.write('mwl-bridge messages: --limit must be a positive whole number\n');
      return 2;
    }
    const rows = store.listMessages({
      since: str(flags.since),
      until: str(flags.until),
      patientId: str(flags.patient),
      accessionNumber: str(flags.accession),
      outcome: str(flags.outcome),
      controlId: str(flags['control-id']),
      limit,
    });
    const table = [['ID', 'RECEIVED (UTC)', 'SENDER', 'TYPE', 'CONTROL ID', 'OUTCOME', 'ACK', 'PATIENT', 'ACCESSION', 'ITEMS', 'ACTION / ERROR']];
    for (const m of rows) {
      table.push([
        String(m.id),
        m.receivedAt.replace('T', ' ').slice(0, 19),
        [m.sendingApplication, m.sendingFacility].filter(Boolean).join('/'),
        m.messageType ?? '',
        m.controlId ?? '',
        m.outcome,
        m.ackCode,
        m.patientId ?? '',
        m.accessionNumber ?? '',
        m.itemIds.join(','),
        (m.error ?? m.action ?? '').slice(0, 80),
      ]);
    }
    const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    process.stdout.write(table.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n');
    process.stdout.write(`${rows.length} message(s)${rows.length === limit ? ` (--limit ${limit} reached)` : ''}\n`);
    return 0;
  } finally {
    store.close();
  }
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function formatMessage(m: StoredMessage): string {
  return [
    `message ${m.id}`,
    `received:     ${m.receivedAt} from ${m.remote ?? '?'}`,
    `sender:       ${m.sendingApplication ?? ''} / ${m.sendingFacility ?? ''}`,
    `type:         ${m.messageType ?? ''}   control id: ${m.controlId ?? ''}`,
    `patient:      ${m.patientId ?? ''}   accession: ${m.accessionNumber ?? ''}`,
    `outcome:      ${m.outcome}   ACK: ${m.ackCode}   action: ${m.action ?? ''}`,
    `items:        ${m.itemIds.join(', ') || '(none)'}`,
    ...(m.error ? [`error:        ${m.error}`] : []),
    '',
    'message as received:',
    decodeForDisplay(m.raw),
    '',
    'ACK sent:',
    (m.ack ?? '(none)').replace(/\r/g, '\n').trimEnd(),
  ].join('\n');
}

/** The raw bytes as text (UTF-8 when valid, else ISO 8859-1), one segment per line. */
function decodeForDisplay(raw: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    text = raw.toString('latin1');
  }
  return text.replace(/\r\n|\r|\n/g, '\n').trimEnd();
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write((rest[0] === 'settings' ? settingsHelp() : USAGE) + '\n');
    return 0;
  }
  let parsed: { values: Flags; positionals: string[] };
  try {
    const options = command === 'messages' ? messagesOptions : parseOptions;
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    process.stderr.write(`mwl-bridge ${command}: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  switch (command) {
    case 'start':
      return commandStart(parsed.values);
    case 'import':
      return commandImport(parsed.values, parsed.positionals);
    case 'map':
      return commandMap(parsed.values, parsed.positionals);
    case 'messages':
      return commandMessages(parsed.values, parsed.positionals);
    default:
      process.stderr.write(`mwl-bridge: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mwl-bridge: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
