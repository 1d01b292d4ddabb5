/** `mwl-bridge mirror --rebuild | --check`. */
import { reconcileMirror, reportIsClean, type ReconcileReport } from '../app/mirror-tools.js';
import { buildConfig, type Flags } from './options.js';

export async function commandMirror(flags: Flags, args: string[]): Promise<number> {
  if (args.length > 0 || flags.rebuild === flags.check) {
    process.stderr.write('mwl-bridge mirror: give exactly one of --rebuild or --check\n');
    return 2;
  }
  const dryRun = flags.check === true;
  const result = await reconcileMirror(buildConfig(flags), { dryRun });
  if (!result) {
    process.stderr.write('mwl-bridge mirror: no mirror folder is configured (set mirror.dir, MWL_BRIDGE_MIRROR_DIR or --mirror-dir)\n');
    return 2;
  }
  process.stdout.write(formatReconcileReport(result.report, result.dir, dryRun) + '\n');
  return dryRun && !reportIsClean(result.report) ? 1 : 0;
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
  if (report.foreign.length)
    lines.push(
      `  ${report.foreign.length} .wl file(s) not written by the bridge, left alone: ${report.foreign.slice(0, 10).join(', ')}${report.foreign.length > 10 ? ', ...' : ''}`,
    );
  for (const { itemId, attributes } of report.replaced)
    lines.push(`  item ${itemId}: characters the character set lacks written as "?" in ${attributes.join(', ')}`);
  for (const { itemId, error } of report.unwritable) lines.push(`  item ${itemId} cannot be written: ${error}`);
  lines.push(
    reportIsClean(report)
      ? '  folder and store agree'
      : dryRun
        ? '  folder and store differ: run "mwl-bridge mirror --rebuild"'
        : '  folder and store now agree',
  );
  return lines.join('\n');
}
