/**
 * Mapping files: where they are, reading them, and compiling them into the set the bridge uses
 * (the mapping core itself is pure: it compiles texts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { BridgeConfig } from '../config/schema.js';
import { BridgeError, errorMessage } from '../errors.js';
import { installDir } from '../install-dir.js';
import { compileMappingSet, type MappingSource } from '../mapping/compile.js';
import type { MappingSet } from '../mapping/select.js';

export type { MappingSet } from '../mapping/select.js';
export type { MappingSource } from '../mapping/compile.js';

/** A relative mapping path is looked up in the working folder first, then in the installation. */
export function resolveMappingPath(path: string): string {
  if (isAbsolute(path) || existsSync(path)) return resolve(path);
  const installed = resolve(installDir, path);
  return existsSync(installed) ? installed : resolve(path);
}

/** The mapping files named by mapping.files (comma-separated), resolved. */
export function mappingFiles(config: BridgeConfig): string[] {
  return config['mapping.files']
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map(resolveMappingPath);
}

/** Reads mapping files; every file that cannot be read is reported at once. */
export function readMappingSources(files: readonly string[]): MappingSource[] {
  const problems: string[] = [];
  const sources: MappingSource[] = [];
  for (const file of files) {
    try {
      sources.push({ name: file, text: readFileSync(file, 'utf8') });
    } catch (err) {
      problems.push(`mapping file ${file} cannot be read: ${errorMessage(err)}`);
    }
  }
  if (problems.length) throw new BridgeError('MAPPING_INVALID', problems.join('\n'), { hint: 'check mapping.files / --mapping' });
  return sources;
}

/** Reads and compiles mapping files into a set (an invalid file refuses the whole set, saying why). */
export function loadMappingSet(files: readonly string[]): MappingSet {
  return compileMappingSet(readMappingSources(files));
}
