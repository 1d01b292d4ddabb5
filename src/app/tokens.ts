/**
 * HTTP access tokens: a file of "NAME ROLE sha256:HASH [ae=AE_TITLE]" lines (http.tokensFile), read
 * at start, and the token command that adds one. A token with an AE title searches the worklist as
 * a C-FIND from that AE title would (its dicom.callingAeSettings, its name in the query log). Only hashes are stored: a token is 32 random bytes, so one round
 * of SHA-256 is as strong as a slow password hash would be, and checking it costs nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BridgeError } from '../errors.js';
import { aeTitleProblem } from '../model/names.js';
import type { AccessRole, TokenHolder } from '../http/access.js';

export type { AccessRole, TokenHolder } from '../http/access.js';

// The AE title comes last and runs to the end of the line: an AE title may hold spaces.
const LINE = /^(\S{1,64})\s+(read|write)\s+sha256:([0-9a-f]{64})(?:\s+ae=(.+))?$/;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The tokens of a file, by hash; an empty path gives none. A line that is not a token is an error naming it. */
export function readTokens(path: string): Map<string, TokenHolder> {
  const tokens = new Map<string, TokenHolder>();
  if (path === '') return tokens;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BridgeError('CONFIG_INVALID', `http.tokensFile ${path} cannot be read`, {
      cause: err,
      hint: 'create it with: mwl-bridge token NAME --role read',
    });
  }
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m?.[1] || !m[2] || !m[3]) throw new BridgeError('CONFIG_INVALID', `${path} line ${i + 1} is not "NAME read|write sha256:HASH [ae=AE_TITLE]"`);
    const aeTitle = m[4]?.trim();
    const problem = aeTitle === undefined ? undefined : aeTitleProblem(aeTitle);
    if (problem) throw new BridgeError('CONFIG_INVALID', `${path} line ${i + 1}: "${aeTitle}" is not an AE title (${problem})`);
    tokens.set(m[3], aeTitle === undefined ? { name: m[1], role: m[2] as AccessRole } : { name: m[1], role: m[2] as AccessRole, aeTitle });
  }
  return tokens;
}

/**
 * Adds a new token for name to the file (created readable by its owner only), with the AE title
 * its searches are answered as, if any; returns the token, shown once.
 */
export function addToken(path: string, name: string, role: AccessRole, aeTitle?: string): string {
  if (!/^\S{1,64}$/.test(name)) throw new BridgeError('CONFIG_INVALID', `token name "${name}" must be 1-64 characters without spaces`);
  const problem = aeTitle === undefined ? undefined : aeTitleProblem(aeTitle);
  if (problem) throw new BridgeError('CONFIG_INVALID', `--ae "${aeTitle}" is not an AE title (${problem})`);
  const existing = readTokens(existsSync(path) ? path : '');
  if ([...existing.values()].some((t) => t.name === name)) throw new BridgeError('CONFIG_INVALID', `${path} already has a token named ${name}`);
  const token = `mwlb_${randomBytes(32).toString('base64url')}`;
  const line = `${name} ${role} sha256:${tokenHash(token)}${aeTitle === undefined ? '' : ` ae=${aeTitle.trim()}`}\n`;
  if (existsSync(path)) appendFileSync(path, line);
  else
    writeFileSync(
      path,
      `# mwl-bridge HTTP access tokens: NAME ROLE sha256:HASH [ae=AE_TITLE] (mwl-bridge token NAME --role read|write [--ae AE_TITLE])\n${line}`,
      { mode: 0o600 },
    );
  return token;
}

/** Whether an address only this host can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^::ffff:127\./i.test(host);
}
