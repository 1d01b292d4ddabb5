/** `mwl-bridge map`: the item(s) a message would produce, each value with its source, and the ACK. */
import { readFileSync } from 'node:fs';
import { describeDerived, dryRunMessage } from '../app/dry-run.js';
import { buildConfig, type Flags } from './options.js';

export function commandMap(flags: Flags, files: string[]): number {
  const [file] = files;
  if (file === undefined || files.length !== 1) {
    process.stderr.write('mwl-bridge map: give exactly one HL7 message file\n');
    return 2;
  }
  const result = dryRunMessage(buildConfig(flags), readFileSync(file));
  const out: string[] = [`mapping: ${result.mapping ? `${result.mapping.name} (${result.mapping.file})` : 'none applied'}`];
  if (result.accepted) {
    const { procedures } = result;
    for (const [i, p] of procedures.entries()) {
      out.push('', `worklist item ${i + 1} of ${procedures.length}: order control ${p.orderControl}${p.orderStatus ? `, order status ${p.orderStatus}` : ''}`);
      if (p.nonImaging) out.push(`  not an imaging order: ${p.nonImaging.reason} (acknowledged and ignored: nothing would be stored)`);
      const width = Math.min(70, Math.max(...p.trace.map((t) => t.attribute.length)));
      for (const t of p.trace) out.push(`  ${t.attribute.padEnd(width)}  ${JSON.stringify(t.value)}  <- ${t.source}${t.derived ? '  (derived)' : ''}`);
      const derived = p.trace.filter((t) => t.derived);
      if (derived.length > 0) {
        out.push('', `  derived: ${derived.length} value(s) not from their first source`);
        for (const t of derived) if (t.derived) out.push(`    ${describeDerived({ ...t, kind: t.derived.kind, reason: t.derived.reason })}`);
      }
    }
  } else {
    out.push(`rejected: ${result.rejection}`);
  }
  out.push('', 'ACK that would be sent:', result.ack.replace(/\r/g, '\n'));
  process.stdout.write(out.join('\n'));
  return result.accepted ? 0 : 1;
}
