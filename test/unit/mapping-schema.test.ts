/**
 * mappings/mapping.schema.json (for editors) agrees with the loader: every shipped mapping is
 * valid under it, and typical mistakes are caught by both.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { compileMapping as parseMapping } from '../../src/mapping/compile.js';
import { projectDir } from '../helpers/project-dir.js';

const dir = join(projectDir, 'mappings');
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(dir, 'mapping.schema.json'), 'utf8')));
const shipped = [
  ...readdirSync(dir).filter((f) => f.endsWith('.yaml')),
  ...readdirSync(join(dir, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('examples', f)),
];

describe('mapping JSON Schema', () => {
  for (const file of shipped) {
    it(`accepts ${file}`, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.ok(validate(parse(text)), JSON.stringify(validate.errors, null, 2));
      assert.doesNotThrow(() => parseMapping(text, file));
    });
  }

  it('rejects what the loader rejects', () => {
    const bad = [
      'appliesTo: { messages: [ORM] }\nattributes: { PatientID: PID-3.1 }',
      'appliesTo: { messages: [ORM^O01] }\nattributes: { PatientID: PID-3.x }',
      'appliesTo: { messages: [ORM^O01] }\nattributes: { PatientID: { from: PID-3.1, as: upper } }',
      'appliesTo: { messages: [ORM^O01] }\nattributes: { PatientID: { from: PID-3.1, colour: red } }',
      'appliesTo: { messages: [ORM^O01] }\nextra: 1\nattributes: { PatientID: PID-3.1 }',
    ];
    for (const text of bad) {
      assert.equal(validate(parse(text)), false, text);
      assert.throws(() => parseMapping(text, 'bad.yaml'), /invalid/, text);
    }
  });
});
