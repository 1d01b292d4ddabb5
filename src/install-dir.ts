/**
 * The folder the bridge is installed in (package.json, mappings/, src/http/console/assets/): the
 * nearest folder above this module that holds a package.json. That is the project folder whether
 * the module runs from src/ (tsx), from dist/, or from the tests' compiled copy in build/src/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageDirAbove(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    // At the file system's root without one: the folder above src/ or dist/, as it was laid out.
    if (dirname(dir) === dir) return dirname(start);
  }
}

export const installDir = packageDirAbove(dirname(fileURLToPath(import.meta.url)));
