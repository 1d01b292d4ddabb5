#!/usr/bin/env node
/**
 * mwl-bridge command line: start | import | map | messages | mirror. Thin: parses flags, builds the config, calls modules.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mappingFiles, mirrorFolderOf, openStore, startBridge } from './app.js';
import type { WorklistFileCharset } from './dicom/wl-file.js';
import { mirrorTarget } from './mirror/mirror.js';
import { reconcileFolder, reportIsClean, type ReconcileReport } from './mirror/reconcile.js';
import { loadConfig } from './config/load.js';
import { configFileEnvVar, envVarFor, settingsSchema, type BridgeConfig, type SettingKey, type SettingSpec } from './config/schema.js';
import { importWorklistFiles } from './dicom/import.js';
import { errorMessage } from './errors.js';
import { applyHeapPolicy } from './heap-policy.js';
import { ackErrorFor, ackFor, runOrderPipeline } from './hl7/pipeline.js';
import { createLogger, type LogFormat, type LogLevel } from './log.js';
import { loadMappingSet } from './mapping/load.js';
import { WorklistStore, type StoredMessage } from './store/items.js';

const USAGE = `Usage: mwl-bridge <command> [options]

Commands:
  start [--config FILE] [--db PATH] [--mllp-port N] [--dicom-port N] [--ae-title AE] [--mapping FILE]
        Start the MLLP listener and the DICOM worklist SCP (--mllp-port off: no HL7 listener; 0: any free port).
  import [--db PATH] FILE.wl|FOLDER...
        Load DICOM worklist files (as served by wlmscpfs or Orthanc) into the store; a file imported
        again updates its item (reported as created / updated / unchanged). Safe beside a running bridge.
  map [--mapping FILES] MESSAGE.hl7
        Show the worklist item a message would produce, and its ACK, without storing anything.
  messages [--db PATH] [--since DATE] [--until DATE] [--patient ID] [--accession NUMBER]
           [--outcome stored|ignored|duplicate|rejected|error] [--control-id ID] [--limit N]
        List logged inbound messages, newest first (dates are UTC, YYYY-MM-DD or ISO 8601).
  messages show ID [--db PATH]
        Show one logged message in full: raw message, outcome, ACK sent, items touched.
  mirror --rebuild|--check [--db PATH] [--mirror-dir DIR] [--mirror-layout wlmscpfs|flat]
        Reconcile the .wl mirror folder with the store: write missing or stale files, delete the
        bridge's files whose item left the worklist; --check only reports (exit 1 if out of step).

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
const mirrorOptions = { ...parseOptions, rebuild: { type: 'boolean' }, check: { type: 'boolean' } } as const;
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
  const logger = createLogger({ level: config['log.level'] as LogLevel, format: config['log.format'] });
  applyHeapPolicy();
  // The last line of defence: every protocol handler runs behind its own boundary, so reaching
  // these is a fault in the bridge or a library. The fault is logged with where it was thrown, and
  // the bridge goes on serving: stopping would stop every modality and RIS, and the store is durable.
  process.on('uncaughtException', (err) => logger.error('process.uncaught_exception', { error: errorMessage(err), stack: err.stack?.split('\n').slice(1, 4).join(' | '), effect: 'logged; the bridge goes on' }));
  process.on('unhandledRejection', (reason) => logger.error('process.unhandled_rejection', { error: errorMessage(reason), stack: reason instanceof Error ? reason.stack?.split('\n').slice(1, 4).join(' | ') : undefined, effect: 'logged; the bridge goes on' }));
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

async function commandImport(flags: Flags, files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write('mwl-bridge import: give one or more .wl files or folders\n');
    return 2;
  }
  const config = buildConfig(flags);
  const store = WorklistStore.open(config['db.path']);
  try {
    const report = await importWorklistFiles(store, files);
    for (const f of report.failed) process.stderr.write(`FAILED ${f.file}: ${f.error}\n`);
    const count = (action: string): number => report.imported.filter((i) => i.action === action).length;
    process.stdout.write(
      `imported ${report.imported.length} item(s) into ${config['db.path']}: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged` +
        (report.failed.length ? `; ${report.failed.length} file(s) failed\n` : '\n'),
    );
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
  const mappings = loadMappingSet(mappingFiles(config));
  const bytes = readFileSync(files[0]!);
  const bridgeApplication = config['dicom.aeTitle'];
  const result = runOrderPipeline(bytes, { mappings: () => mappings, uidRoot: config['uid.root'], bridgeApplication });
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

async function commandMirror(flags: Flags, args: string[]): Promise<number> {
  if (args.length > 0 || flags.rebuild === flags.check) {
    process.stderr.write('mwl-bridge mirror: give exactly one of --rebuild or --check\n');
    return 2;
  }
  const config = buildConfig(flags);
  const folder = mirrorFolderOf(config);
  if (!folder) {
    process.stderr.write('mwl-bridge mirror: no mirror folder is configured (set mirror.dir, MWL_BRIDGE_MIRROR_DIR or --mirror-dir)\n');
    return 2;
  }
  const store = openStore(config);
  try {
    const charset = config['mirror.characterSet'];
    const dryRun = flags.check === true;
    const journal = store.mirrorJournal();
    const target = mirrorTarget(store, folder, charset);
    // The journal's head before the scan: changes committed during it are applied again afterwards.
    if (!dryRun) journal.enable(target);
    const head = journal.head();
    const report = await reconcileFolder(store, folder, charset, { dryRun });
    if (!dryRun) journal.markReconciled(target, head);
    process.stdout.write(formatReconcileReport(report, folder.dir, dryRun) + '\n');
    return dryRun && !reportIsClean(report) ? 1 : 0;
  } finally {
    store.close();
  }
}

function formatReconcileReport(report: ReconcileReport, dir: string, dryRun: boolean): string {
  const verb = (done: string, would: string): string => (dryRun ? would : done);
  const ids = (list: number[]): string => (list.length ? `: items ${list.slice(0, 20).join(', ')}${list.length > 20 ? ', ...' : ''}` : '');
  const lines = [
    `mirror ${dir} (${dryRun ? 'check only, nothing changed' : 'rebuilt'})`,
    `  ${report.written.length} missing file(s) ${verb('written', 'to write')}${ids(report.written)}`,
    `  ${report.rewritten.length} stale file(s) ${verb('rewritten', 'to rewrite')}${ids(report.rewritten)}`,
    `  ${report.deleted.length} orphan file(s) ${verb('deleted', 'to delete')}${ids(report.deleted)}`,
    `  ${report.temporaries.length} temporary file(s) of interrupted writes ${verb('removed', 'to remove')}`,
    `  ${report.unchanged} file(s) already up to date`,
  ];
  if (report.foreign.length) lines.push(`  ${report.foreign.length} .wl file(s) not written by the bridge, left alone: ${report.foreign.slice(0, 10).join(', ')}${report.foreign.length > 10 ? ', ...' : ''}`);
  for (const { itemId, attributes } of report.replaced) lines.push(`  item ${itemId}: characters the character set lacks written as "?" in ${attributes.join(', ')}`);
  for (const { itemId, error } of report.unwritable) lines.push(`  item ${itemId} cannot be written: ${error}`);
  lines.push(reportIsClean(report) ? '  folder and store agree' : dryRun ? '  folder and store differ: run "mwl-bridge mirror --rebuild"' : '  folder and store now agree');
  return lines.join('\n');
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
    const options = command === 'messages' ? messagesOptions : command === 'mirror' ? mirrorOptions : parseOptions;
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
    case 'mirror':
      return commandMirror(parsed.values, parsed.positionals);
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
