/** `mwl-bridge token NAME --role read|write [--ae AE_TITLE]`: adds an HTTP access token to http.tokensFile and prints it once. */
import { addToken } from '../app/tokens.js';
import { buildConfig, text, type Flags } from './options.js';

export function commandToken(flags: Flags, positionals: string[]): number {
  const config = buildConfig(flags);
  const [name] = positionals;
  const role = text(flags.role) ?? 'read';
  const aeTitle = text(flags.ae);
  const file = config['http.tokensFile'];
  if (!name || positionals.length !== 1 || (role !== 'read' && role !== 'write') || file === '') {
    process.stderr.write('usage: mwl-bridge token NAME [--role read|write] [--ae AE_TITLE] --http-tokens-file FILE (or http.tokensFile in the config)\n');
    return 2;
  }
  const token = addToken(file, name, role, aeTitle);
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    `token ${name} (${role}${aeTitle === undefined ? '' : `, searches as AE ${aeTitle}`}) added to ${file}; it is shown only now: give it to its holder (Authorization: Bearer TOKEN)\n`,
  );
  return 0;
}
