/** `mwl-bridge import`: loads .wl files into the store and says what each did. */
import { importIntoStore } from '../app/import.js';
import { buildConfig, type Flags } from './options.js';

export async function commandImport(flags: Flags, files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write('mwl-bridge import: give one or more .wl files or folders\n');
    return 2;
  }
  const config = buildConfig(flags);
  const report = await importIntoStore(config, files);
  for (const f of report.failed) process.stderr.write(`FAILED ${f.file}: ${f.error}\n`);
  const count = (action: string): number => report.imported.filter((i) => i.action === action).length;
  process.stdout.write(
    `imported ${report.imported.length} item(s) into ${config['db.path']}: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged` +
      (report.failed.length ? `; ${report.failed.length} file(s) failed\n` : '\n'),
  );
  return report.failed.length ? 1 : 0;
}
