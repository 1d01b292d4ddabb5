/** The shipped mapping files, loaded the way the bridge loads them (defaults plus the examples). */
import { join } from 'node:path';
import { MappingSet } from '../../src/mapping/select.js';
import { loadMappingSet } from '../../src/app/mappings.js';
import { projectDir } from './project-dir.js';

export const SHIPPED_MAPPINGS = [
  'default.yaml',
  'omi-o23.yaml',
  'omg-o19.yaml',
  'adt.yaml',
  'examples/ris-alpha.yaml',
  'examples/ris-beta.yaml',
  'examples/ris-gamma.yaml',
  'examples/strict-ris.yaml',
];

export function loadShippedMappings(): MappingSet {
  return loadMappingSet(SHIPPED_MAPPINGS.map((f) => join(projectDir, 'mappings', f)));
}
