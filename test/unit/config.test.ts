import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { envVarFor, settingsSchema } from '../../src/config/schema.js';
import { BridgeError } from '../../src/errors.js';
import { projectDir } from '../helpers/project-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'mwl-config-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c['db.path'], './data/worklist.db');
    assert.equal(c['mllp.port'], 2575);
    assert.equal(c['dicom.port'], 11112);
    assert.equal(c['dicom.aeTitle'], 'MWL_BRIDGE');
    assert.equal(c['mapping.files'], 'mappings/default.yaml,mappings/omi-o23.yaml,mappings/omg-o19.yaml,mappings/adt.yaml');
    assert.ok(Object.isFrozen(c));
  });

  it('gives real booleans, numbers, lists, maps and host:port values, and "off" for a listener', () => {
    const c = loadConfig({
      env: { MWL_BRIDGE_DICOM_CHECK_CALLED_AE_TITLE: 'no', MWL_BRIDGE_MPPS_HL7_DESTINATION: 'ris.example:2576' },
      flags: {
        'dicom.allowedCallingAeTitles': 'CT1, MR1',
        'dicom.callingAeSettings': '{"CT1": {"onlyOwnStation": true, "maxAnswers": 5}}',
        'mllp.port': 'off',
        'dicom.port': '0',
      },
    });
    assert.equal(c['dicom.checkCalledAeTitle'], false);
    assert.equal(c['worklist.showClosedItems'], false);
    assert.deepEqual(c['dicom.allowedCallingAeTitles'], ['CT1', 'MR1']);
    assert.deepEqual(c['dicom.callingAeSettings'], { CT1: { onlyOwnStation: true, maxAnswers: 5 } });
    assert.deepEqual(c['mpps.hl7Destination'], { host: 'ris.example', port: 2576 });
    assert.equal(c['mllp.port'], 'off');
    assert.equal(c['dicom.port'], 0);
    assert.equal(loadConfig({ env: {} })['mpps.hl7Destination'], undefined);
  });

  it('takes file < environment < flags', () => {
    const path = file('a.yaml', 'dicom:\n  port: 104\n  aeTitle: FROM_FILE\nmllp:\n  port: 3000\n');
    const c = loadConfig({
      file: path,
      env: { MWL_BRIDGE_DICOM_AE_TITLE: 'FROM_ENV', MWL_BRIDGE_MLLP_PORT: '4000' },
      flags: { 'mllp.port': '5000' },
    });
    assert.equal(c['dicom.port'], 104);
    assert.equal(c['dicom.aeTitle'], 'FROM_ENV');
    assert.equal(c['mllp.port'], 5000);
  });

  it('reports every problem at once, each with its source', () => {
    const path = file('b.yaml', 'dicom:\n  prot: 104\nlog:\n  level: loud\n');
    try {
      loadConfig({ file: path, env: { MWL_BRIDGE_DICOM_PORT: 'abc' }, flags: { 'dicom.aeTitle': 'THIS_AE_TITLE_IS_TOO_LONG' } });
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof BridgeError && e.code === 'CONFIG_INVALID');
      assert.match(e.message, /unknown setting "dicom\.prot" \(did you mean "dicom\.port"\?\)/);
      assert.match(e.message, /log\.level: "loud" is not one of debug, info, warn, error/);
      assert.match(e.message, /environment MWL_BRIDGE_DICOM_PORT: "abc" is not a whole number/);
      assert.match(e.message, /flag --ae-title: .* is not an AE title/);
    }
  });

  it('names an environment variable for every setting, and documents each', () => {
    assert.equal(envVarFor('dicom.aeTitle'), 'MWL_BRIDGE_DICOM_AE_TITLE');
    assert.equal(envVarFor('mllp.maxFrameBytes'), 'MWL_BRIDGE_MLLP_MAX_FRAME_BYTES');
    for (const [key, spec] of Object.entries(settingsSchema)) assert.ok(spec.doc.length > 20, key);
  });

  it('rejects a UID root that is not one', () => {
    assert.throws(() => loadConfig({ env: { MWL_BRIDGE_UID_ROOT: '1.02.3' } }), /not a UID root/);
    assert.equal(loadConfig({ env: { MWL_BRIDGE_UID_ROOT: '1.2.826.0.1.3680043.10.543' } })['uid.root'], '1.2.826.0.1.3680043.10.543');
  });
});

describe('safe names (issue 16, finding 13)', () => {
  it('an AE title that would name a folder outside mirror.dir is refused when the mirror uses it', () => {
    for (const ae of ['../x', '..', 'a/b', '.']) {
      assert.throws(
        () => loadConfig({ flags: { 'dicom.aeTitle': ae, 'mirror.dir': '/tmp/mirror' } }),
        (e: unknown) => e instanceof BridgeError && e.code === 'CONFIG_INVALID' && e.message.includes('cannot be a folder name'),
        ae,
      );
      assert.throws(() => loadConfig({ flags: { 'mirror.aeTitle': ae, 'mirror.dir': '/tmp/mirror' } }), /flag --mirror-ae-title: .* cannot be a folder name/);
    }
    // Valid AE titles (PS3.5 allows / and .) where no folder is named after them.
    assert.equal(loadConfig({ flags: { 'dicom.aeTitle': '../x' } })['dicom.aeTitle'], '../x');
    assert.equal(loadConfig({ flags: { 'dicom.aeTitle': '../x', 'mirror.dir': '/tmp/mirror', 'mirror.aeTitle': 'WLM' } })['mirror.aeTitle'], 'WLM');
    assert.equal(loadConfig({ flags: { 'dicom.aeTitle': '../x', 'mirror.dir': '/tmp/mirror', 'mirror.layout': 'flat' } })['mirror.layout'], 'flat');
  });

  it('AE titles follow PS3.5: 1-16 characters, no backslash, no control characters, not only spaces', () => {
    for (const ae of ['A\\B', 'TAB\tAE', 'ESC\x1bAE', 'X'.repeat(17), '   ', '']) {
      assert.throws(() => loadConfig({ env: { MWL_BRIDGE_DICOM_AE_TITLE: ae + (ae === '' ? ' ' : '') } }), /AE title|must not be empty/, JSON.stringify(ae));
    }
    assert.throws(() => loadConfig({ flags: { 'dicom.allowedCallingAeTitles': 'CT1,BAD\x07' } }), /is not an AE title/);
  });

  it('the mirror refuses an unsafe folder name itself, too', async () => {
    const { WorklistFolder } = await import('../../src/mirror/folder.js');
    assert.throws(() => new WorklistFolder({ root: '/tmp/m', layout: 'wlmscpfs', aeTitle: '../x' }), /cannot be used inside \/tmp\/m/);
  });
});

describe('documentation', () => {
  it('README documents every setting with its environment variable, flag and default', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(join(projectDir, 'README.md'), 'utf8');
    for (const [key, spec] of Object.entries(settingsSchema)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${key}\``));
      assert.ok(row, `README settings table lacks ${key}`);
      assert.ok(row.includes(`\`${envVarFor(key)}\``), `${key}: env var`);
      assert.ok(row.includes(`\`--${spec.flag}\``), `${key}: flag`);
      assert.ok(spec.default === '' ? row.includes('(empty') : row.includes(`\`${spec.default}\``), `${key}: default`);
    }
  });
});

describe('TLS settings', () => {
  it('a certificate needs its key, and a CA needs both', () => {
    assert.throws(() => loadConfig({ flags: { 'dicom.tls.certFile': '/c.pem' } }), /dicom\.tls\.certFile and dicom\.tls\.keyFile must be given together/);
    assert.throws(() => loadConfig({ flags: { 'mllp.tls.caFile': '/ca.pem' } }), /mllp\.tls\.caFile is set without/);
    const config = loadConfig({ flags: { 'dicom.tls.certFile': '/c.pem', 'dicom.tls.keyFile': '/k.pem', 'dicom.tls.port': 'off' } });
    assert.equal(config['dicom.tls.port'], 'off');
    assert.equal(loadConfig({})['dicom.tls.port'], 2762);
    assert.throws(() => loadConfig({ flags: { 'http.tls.keyFile': '/k.pem' } }), /http\.tls\.certFile and http\.tls\.keyFile must be given together/);
    assert.equal(loadConfig({})['http.tls.port'], 8443);
    assert.throws(() => loadConfig({ flags: { 'dicom.port': 'off' } }), /dicom\.port is off and no DICOM TLS listener is configured/);
    assert.equal(loadConfig({ flags: { 'dicom.port': 'off', 'dicom.tls.certFile': '/c.pem', 'dicom.tls.keyFile': '/k.pem' } })['dicom.port'], 'off');
  });

  it('TLS to the RIS needs a destination, and its certificate its key', () => {
    assert.throws(() => loadConfig({ flags: { 'mpps.tls.enabled': 'true' } }), /mpps\.tls\.enabled is set without mpps\.hl7Destination/);
    assert.throws(
      () => loadConfig({ flags: { 'mpps.hl7Destination': 'ris:2575', 'mpps.tls.enabled': 'true', 'mpps.tls.certFile': '/c.pem' } }),
      /mpps\.tls\.certFile and mpps\.tls\.keyFile must be given together/,
    );
    assert.equal(loadConfig({ flags: { 'mpps.hl7Destination': 'ris:2575', 'mpps.tls.enabled': 'true' } })['mpps.tls.enabled'], true);
  });
});
