#!/usr/bin/env node
/**
 * The command line: parses the command and its flags and runs the command (each in cli/), which
 * calls the application (app/). Exit codes: 0 done, 1 failed, 2 wrong usage.
 */
import { parseArgs } from 'node:util';
import { configFileEnvVar } from './config/schema.js';
import { errorMessage } from './errors.js';
import { EXPLAIN_FLAGS, MESSAGE_FILTERS, QUERY_FILTERS } from './cli/command-flags.js';
import { settingOptions, settingsHelp, type Flags } from './cli/options.js';

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
  queries [--db PATH] [--calling-ae AE] [--since DATE] [--until DATE] [--limit N]
        List logged C-FIND queries and rejected associations, newest first, with their ids.
  queries show ID [--db PATH]
        Show one logged query in full: peer, AE titles, the identifier as decoded, outcome.
  explain QUERY_ID [--db PATH] [--accession NUMBER | --patient ID] [--json]
  explain -k KEY=VALUE [-k ...] [--calling-ae AE] [--accession NUMBER | --patient ID] [--json]
        Why an item was or was not answered: each key with the query's and the item's value and
        the rule, and the reasons outside matching (status, per-AE settings, answer limit,
        association policy); no item: what the message log knows. Keys as findscu takes them,
        e.g. -k PatientID=123 -k "ScheduledProcedureStepSequence[0].Modality=CT".
  token NAME [--role read|write] [--ae AE_TITLE] --http-tokens-file FILE
        Add an HTTP access token (stored hashed) and print it once. With --ae, the token's DICOMweb
        worklist searches are answered as a C-FIND from that calling AE title.
  mirror --rebuild|--check [--db PATH] [--mirror-dir DIR] [--mirror-layout wlmscpfs|flat]
        Reconcile the .wl mirror folder with the store: write missing or stale files, delete the
        bridge's files whose item left the worklist; --check only reports (exit 1 if out of step).

Every setting can also come from a YAML config file (--config or ${configFileEnvVar}) and from
environment variables; run "mwl-bridge help settings" for the list.`;

const mirrorOptions = { ...settingOptions, rebuild: { type: 'boolean' }, check: { type: 'boolean' } } as const;
const queriesOptions = { ...settingOptions, ...Object.fromEntries(QUERY_FILTERS.map((f) => [f, { type: 'string' }])) } as const;
const explainOptions = {
  ...settingOptions,
  ...Object.fromEntries(EXPLAIN_FLAGS.map((f) => [f, { type: 'string' }])),
  key: { type: 'string', short: 'k', multiple: true },
  json: { type: 'boolean' },
} as const;
const tokenOptions = { ...settingOptions, role: { type: 'string' }, ae: { type: 'string' } } as const;
const messagesOptions = { ...settingOptions, ...Object.fromEntries(MESSAGE_FILTERS.map((f) => [f, { type: 'string' }])) } as const;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write((rest[0] === 'settings' ? settingsHelp() : USAGE) + '\n');
    return 0;
  }
  let parsed: { values: Flags; positionals: string[] };
  let explainArgs: { flags: Flags; positionals: string[]; keys: string[]; json: boolean } | undefined;
  try {
    if (command === 'explain') {
      const { values, positionals } = parseArgs({ args: rest, options: explainOptions, allowPositionals: true, strict: true });
      const { key = [], json = false, ...flags } = values;
      explainArgs = { flags, positionals, keys: key, json };
    }
    const options =
      command === 'messages'
        ? messagesOptions
        : command === 'queries'
          ? queriesOptions
          : command === 'mirror'
            ? mirrorOptions
            : command === 'token'
              ? tokenOptions
              : settingOptions;
    parsed = explainArgs
      ? { values: explainArgs.flags, positionals: explainArgs.positionals }
      : parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`mwl-bridge ${command}: ${errorMessage(err)}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  // Each command's modules are loaded when it runs: `start` brings the HTTP server, DIMSE and
  // metrics (about 0.5 s of start-up), which `import`, `token` or `messages` do not need.
  switch (command) {
    case 'start':
      return (await import('./cli/start.js')).commandStart(parsed.values);
    case 'import':
      return (await import('./cli/import.js')).commandImport(parsed.values, parsed.positionals);
    case 'map':
      return (await import('./cli/map.js')).commandMap(parsed.values, parsed.positionals);
    case 'messages':
      return (await import('./cli/messages.js')).commandMessages(parsed.values, parsed.positionals);
    case 'explain':
      return explainArgs
        ? (await import('./cli/explain.js')).commandExplain(explainArgs.flags, explainArgs.positionals, explainArgs.keys, explainArgs.json)
        : 2;
    case 'queries':
      return (await import('./cli/queries.js')).commandQueries(parsed.values, parsed.positionals);
    case 'mirror':
      return (await import('./cli/mirror.js')).commandMirror(parsed.values, parsed.positionals);
    case 'token':
      return (await import('./cli/token.js')).commandToken(parsed.values, parsed.positionals);
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
