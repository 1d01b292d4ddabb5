/** Plain text tables for the listing commands: columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
  return table
    .map((r) =>
      r
        .map((v, c) => v.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** An ISO time as "YYYY-MM-DD HH:MM:SS" (UTC). */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}
