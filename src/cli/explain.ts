/**
 * `mwl-bridge explain`: why an item was or was not in a query's answer. The query is one from the
 * query log (its id), or keys given as findscu takes them (-k KEY=VALUE, --calling-ae AE).
 */
import { describeVerdict, explain, identifierFromKeys, type ExplainReport, type ExplainTarget, type ItemExplanation } from '../app/queries.js';
import { errorMessage } from '../errors.js';
import { buildConfig, text, type Flags } from './options.js';

export function commandExplain(flags: Flags, args: string[], keys: readonly string[], json: boolean): number {
  const config = buildConfig(flags);
  const accessionNumber = text(flags.accession);
  const patientId = text(flags.patient);
  if (accessionNumber && patientId) {
    process.stderr.write('mwl-bridge explain: give --accession or --patient, not both\n');
    return 2;
  }
  const target: ExplainTarget | undefined = accessionNumber ? { accessionNumber } : patientId ? { patientId } : undefined;
  let report: ExplainReport | undefined;
  if (args.length === 1 && keys.length === 0) {
    const id = Number(args[0]);
    if (!Number.isInteger(id) || id < 1) {
      process.stderr.write(`mwl-bridge explain: "${args[0] ?? ''}" is not a query id (see "mwl-bridge queries")\n`);
      return 2;
    }
    report = explain(config, id, target);
    if (!report) {
      process.stderr.write(`mwl-bridge explain: no query ${id} in ${config['db.path']} (see "mwl-bridge queries")\n`);
      return 1;
    }
  } else if (args.length === 0 && keys.length > 0) {
    let identifier;
    try {
      identifier = identifierFromKeys(keys);
    } catch (err) {
      process.stderr.write(`mwl-bridge explain: ${errorMessage(err)}\n`);
      return 2;
    }
    report = explain(
      config,
      { identifier, callingAeTitle: text(flags['calling-ae']) ?? '', calledAeTitle: text(flags['called-ae']) ?? config['dicom.aeTitle'] },
      target,
    );
  } else {
    process.stderr.write('mwl-bridge explain: give a query id, or keys (-k KEY=VALUE ... [--calling-ae AE]), not both\n');
    return 2;
  }
  if (!report) return 1;
  process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report) + '\n');
  return 0;
}

/** The report as text, as `explain` prints it. */
export function formatReport(r: ExplainReport): string {
  const q = r.query;
  const from = `${q.callingAeTitle || '(no calling AE title)'} to ${q.calledAeTitle || '?'}`;
  const lines = [
    q.id === undefined
      ? `query given by keys, as if from ${from}`
      : `query ${q.id} at ${q.at ?? '?'} from ${from}: ${q.outcome ?? ''}, ${q.answers ?? 0} answer(s)`,
    `keys: ${q.keys}`,
    ...r.queryReasons.map((reason) => `! ${reason}`),
    '',
  ];
  if (r.items.length === 0) {
    if (r.history.length) lines.push(...r.history.map((h, i) => (i === 0 ? h : `  - ${h}`)));
    else if (r.nearMiss) lines.push('no item misses this query by one key only (give --accession or --patient to look at a particular item)');
    else lines.push('no item found');
    return lines.join('\n');
  }
  if (r.nearMiss) lines.push(`${r.items.length} item(s) miss this query by one key or by their status (as the worklist is now):`, '');
  for (const item of r.items) lines.push(...formatItem(item), '');
  return lines.join('\n').trimEnd();
}

function formatItem(i: ItemExplanation): string[] {
  const head = `item ${i.id}: accession ${i.accessionNumber ?? '-'}, patient ${i.patientId ?? '-'} ${i.patientName ?? ''}, station ${i.station ?? '-'}, status ${i.status}`;
  const lines = [head, i.answered ? '  answered (it matches every key, and nothing else keeps it out)' : '  not answered, because:'];
  lines.push(...i.reasons.map((reason) => `  - ${reason}`));
  lines.push(...i.notes.map((note) => `  note: ${note}`));
  const matched = i.keys.filter((k) => k.matches);
  if (matched.length) lines.push(`  keys that match: ${matched.map((k) => describeVerdict(k)).join('; ')}`);
  return lines;
}
