/** `mwl-bridge queries [show ID]`: the query log, newest first, or one query in full. */
import { describeIdentifier, findQuery, listQueries, type QueryRecord } from '../app/queries.js';
import { buildConfig, text, type Flags } from './options.js';
import { runLogListing } from './log-listing.js';
import { formatTable, shortTime } from './table.js';

/** The filters `queries` takes. */
export function commandQueries(flags: Flags, args: string[]): number {
  return runLogListing(
    {
      command: 'queries',
      noun: 'query',
      find: findQuery,
      show: formatQuery,
      list: (config, limit) => {
        const out: string[] = [];
        const rows = listQueries(config, { callingAeTitle: text(flags['calling-ae']), since: text(flags.since), until: text(flags.until), limit });
        const header = ['ID', 'TIME (UTC)', 'CALLING AE', 'CALLED AE', 'PEER', 'OUTCOME', 'ANSWERS', 'MS', 'KEYS / ERROR'];
        const table = rows.map((q) => [
          String(q.id),
          shortTime(q.at),
          q.callingAeTitle ?? (q.kind === 'dicomweb' ? '(DICOMweb)' : ''),
          q.calledAeTitle ?? '',
          q.remote ?? '',
          q.kind === 'association' ? 'association rejected' : q.outcome,
          q.answers === null ? '' : String(q.answers),
          q.durationMs === null ? '' : String(q.durationMs),
          (q.kind === 'association' ? (q.error ?? '') : (q.keys ?? '') + (q.error ? ` (${q.error})` : '')).slice(0, 100),
        ]);
        out.push(formatTable(header, table) + '\n');
        out.push(`${rows.length} quer${rows.length === 1 ? 'y' : 'ies'}${rows.length === limit ? ` (--limit ${limit} reached)` : ''}\n`);
        return out.join('');
      },
    },
    buildConfig(flags),
    flags.limit,
    args,
  );
}

function formatQuery(q: QueryRecord): string {
  const lines = [
    `query ${q.id}${q.kind === 'association' ? ' (association rejected)' : q.kind === 'dicomweb' ? ' (DICOMweb search)' : ''}`,
    `time:         ${q.at}`,
    `peer:         ${q.remote ?? '?'}   calling AE: ${q.callingAeTitle ?? ''}   called AE: ${q.calledAeTitle ?? ''}`,
    `outcome:      ${q.outcome}${q.status ? `   status: ${q.status}` : ''}${q.answers === null ? '' : `   answers: ${q.answers}`}${q.durationMs === null ? '' : `   ${q.durationMs} ms`}`,
    ...(q.error ? [`error:        ${q.error}`] : []),
    ...(q.replaced.length ? [`replaced:     characters the answer's character set cannot hold were sent as "?" in ${q.replaced.join(', ')}`] : []),
  ];
  if (q.kind !== 'association') {
    lines.push(`keys:         ${q.keys ?? '(not readable)'}`, '', 'identifier as received (decoded):');
    lines.push(...(q.identifier ? describeIdentifier(q.identifier, '  ') : ['  (not kept: the identifier was unreadable or out of bounds)']));
    lines.push('', `why an item was or was not answered: mwl-bridge explain ${q.id} --accession NUMBER (or --patient ID)`);
  }
  return lines.join('\n');
}
