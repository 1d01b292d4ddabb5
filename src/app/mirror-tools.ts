/** `mwl-bridge mirror --rebuild | --check`: the mirror folder reconciled with the store, or compared to it. */
import type { BridgeConfig } from '../config/schema.js';
import { mirrorTarget } from '../mirror/mirror.js';
import { reconcileFolder, type ReconcileReport } from '../mirror/reconcile.js';
import { mirrorFolderOf, openStore } from './store.js';

export { reportIsClean, type ReconcileReport } from '../mirror/reconcile.js';

/** Reconciles (or with dryRun only compares) the configured mirror folder; undefined when no mirror is configured. */
export async function reconcileMirror(config: BridgeConfig, opts: { dryRun: boolean }): Promise<{ dir: string; report: ReconcileReport } | undefined> {
  const folder = mirrorFolderOf(config);
  if (!folder) return undefined;
  const store = openStore(config);
  try {
    const charset = config['mirror.characterSet'];
    const journal = store.mirrorJournal;
    const target = mirrorTarget(store, folder, charset);
    // The journal's head before the scan: changes committed during it are applied again afterwards.
    if (!opts.dryRun) journal.enable(target);
    const head = journal.head();
    const report = await reconcileFolder(store, folder, charset, { dryRun: opts.dryRun });
    if (!opts.dryRun) journal.markReconciled(target, head);
    return { dir: folder.dir, report };
  } finally {
    store.close();
  }
}
