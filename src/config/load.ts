/**
 * Builds the configuration from defaults, a YAML file, MWL_BRIDGE_* environment variables and
 * CLI flags (later sources win). Unknown keys and bad values are all reported at once, each with
 * its source, and the bridge refuses to start on any of them.
 */
import { readFileSync } from 'node:fs';
import { aeTitleProblem, pathComponentProblem } from '../model/names.js';
import { parseDocument } from 'yaml';
import { BridgeError, errorMessage } from '../errors.js';
import { CHARACTER_SET_TERMS, isCharacterSetTerm } from '../model/encoding.js';
import {
  settingsSchema,
  envVarFor,
  type BridgeConfig,
  type CallingAeSetting,
  type HostPort,
  type SettingKey,
  type SettingSpec,
  type SettingType,
} from './schema.js';

export interface ConfigSources {
  /** Path of a YAML config file, if any. */
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Values given as CLI flags, keyed by setting key. */
  flags?: Partial<Record<SettingKey, string>>;
}

const keys = Object.keys(settingsSchema) as SettingKey[];

export function loadConfig(sources: ConfigSources): BridgeConfig {
  const problems: string[] = [];
  const raw: Partial<Record<SettingKey, { value: unknown; source: string }>> = {};

  if (sources.file) {
    for (const [key, value] of Object.entries(readConfigFile(sources.file, problems))) {
      if (isSettingKey(key)) raw[key] = { value, source: `${sources.file}: ${key}` };
      else problems.push(`${sources.file}: unknown setting "${key}"${suggest(key)}`);
    }
  }
  const env = sources.env ?? {};
  for (const key of keys) {
    const name = envVarFor(key);
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = { value, source: `environment ${name}` };
  }
  // An optional property may still hold undefined (a flag not given), which Object.entries' typing leaves out.
  for (const [key, value] of Object.entries<string | undefined>(sources.flags ?? {})) {
    const spec = settingsSchema[key as SettingKey] as SettingSpec;
    if (value !== undefined) raw[key as SettingKey] = { value, source: `flag --${spec.flag}` };
  }

  const config: Record<string, Value> = {};
  for (const key of keys) {
    const spec: SettingSpec = settingsSchema[key];
    const given = raw[key] ?? { value: spec.default, source: `default of ${key}` };
    const result = coerce(spec.type, given.value);
    if (result instanceof Problem) problems.push(`${given.source}: ${result.problem}`);
    else config[key] = result;
  }
  problems.push(...crossChecks(config, raw));
  if (problems.length > 0) {
    throw new BridgeError('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      hint: 'see the settings table in README.md',
    });
  }
  return Object.freeze(config) as unknown as BridgeConfig;
}

/** A loaded setting value (see KindValues in schema.ts). */
type Value = string | number | boolean | undefined | readonly string[] | HostPort | Readonly<Record<string, CallingAeSetting>>;

/** Why a given value was refused. */
class Problem {
  constructor(readonly problem: string) {}
}

/** Rules between settings: TLS files come as a set; the mirror's folder name. */
function crossChecks(config: Record<string, Value>, raw: Partial<Record<SettingKey, { source: string }>>): string[] {
  return [...tlsChecks(config), ...mirrorChecks(config, raw)];
}

/**
 * A TLS listener needs its certificate and key together; a CA alone means nothing. TLS to the RIS
 * needs a destination, and its client certificate and key go together.
 */
function tlsChecks(config: Record<string, Value>): string[] {
  const problems: string[] = [];
  for (const area of ['dicom', 'mllp', 'http'] as const) {
    const cert = config[`${area}.tls.certFile`];
    const key = config[`${area}.tls.keyFile`];
    const ca = config[`${area}.tls.caFile`];
    if (Boolean(cert) !== Boolean(key)) problems.push(`${area}.tls.certFile and ${area}.tls.keyFile must be given together`);
    if (ca && !cert) problems.push(`${area}.tls.caFile is set without ${area}.tls.certFile and ${area}.tls.keyFile`);
  }
  if (config['dicom.port'] === 'off' && (!config['dicom.tls.certFile'] || config['dicom.tls.port'] === 'off')) {
    problems.push('dicom.port is off and no DICOM TLS listener is configured (dicom.tls.certFile, dicom.tls.port): the bridge would serve no modality');
  }
  if (Boolean(config['mpps.tls.certFile']) !== Boolean(config['mpps.tls.keyFile']))
    problems.push('mpps.tls.certFile and mpps.tls.keyFile must be given together');
  if (config['mpps.tls.enabled'] === true && !config['mpps.hl7Destination']) problems.push('mpps.tls.enabled is set without mpps.hl7Destination');
  return problems;
}

/** The mirror names a folder after an AE title, which must then be a safe path component. */
function mirrorChecks(config: Record<string, Value>, raw: Partial<Record<SettingKey, { source: string }>>): string[] {
  if (!config['mirror.dir'] || config['mirror.layout'] !== 'wlmscpfs') return [];
  const key: SettingKey = config['mirror.aeTitle'] ? 'mirror.aeTitle' : 'dicom.aeTitle';
  const value = config[key];
  const name = typeof value === 'string' ? value : '';
  const problem = pathComponentProblem(name);
  if (problem === undefined) return [];
  const source = raw[key]?.source ?? key;
  return [
    `${source}: "${name}" names the mirror's folder inside mirror.dir (wlmscpfs layout) and cannot be a folder name: ${problem} (set mirror.aeTitle to a plain name)`,
  ];
}

function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(settingsSchema, key);
}

/** Reads a YAML file of nested sections (`dicom: { port: 104 }`) into flat keys (`dicom.port`). */
function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`config file ${path} cannot be read: ${errorMessage(err)}`);
    return {};
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    problems.push(...doc.errors.map((e) => `${path}: ${e.message}`));
    return {};
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push(`${path}: expected sections like "dicom:" and "mllp:" at the top level`);
    return {};
  }
  const flat: Record<string, unknown> = {};
  const walk = (prefix: string, obj: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isSettingKey(key)) {
        walk(key, v as Record<string, unknown>);
      } else flat[key] = v;
    }
  };
  walk('', data as Record<string, unknown>);
  return flat;
}

function suggest(key: string): string {
  const lower = key.toLowerCase();
  const near = keys.find((k) => editDistance(k.toLowerCase(), lower) <= 2);
  return near ? ` (did you mean "${near}"?)` : ` (known settings: ${keys.join(', ')})`;
}

/** Levenshtein distance, for "did you mean" hints on misspelt settings. */
function editDistance(a: string, b: string): number {
  // One row of the table at a time: prev[j] is the distance between a's first i - 1 characters and b's first j.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let distance = b.length;
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let diagonal = i - 1; // prev[j - 1]
    let left = i; // row[j - 1]
    for (const [k, up] of prev.slice(1).entries()) {
      // j = k + 1; up = prev[j]
      left = Math.min(up + 1, left + 1, diagonal + (a[i - 1] === b[k] ? 0 : 1));
      diagonal = up;
      row.push(left);
    }
    prev = row;
    distance = left;
  }
  return distance;
}

function coerceCallingAeSettings(value: unknown): Readonly<Record<string, CallingAeSetting>> | Problem {
  let data: unknown = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch (err) {
      return new Problem(`not valid JSON: ${errorMessage(err)}`);
    }
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return new Problem('expected a map of calling AE titles to settings');
  const problems: string[] = [];
  const settings: Record<string, CallingAeSetting> = {};
  for (const [ae, setting] of Object.entries(data as Record<string, unknown>)) {
    if (!setting || typeof setting !== 'object') {
      problems.push(`${ae}: expected { characterSet, onlyOwnStation, maxAnswers, modality }`);
      continue;
    }
    const entry: CallingAeSetting = {};
    for (const [k, v] of Object.entries(setting as Record<string, unknown>)) {
      if (k === 'characterSet') {
        if (typeof v === 'string' && isCharacterSetTerm(v)) entry.characterSet = v;
        else problems.push(`${ae}.characterSet: "${String(v)}" is not one of ${CHARACTER_SET_TERMS.join(', ')}`);
      } else if (k === 'onlyOwnStation') {
        if (typeof v === 'boolean') entry.onlyOwnStation = v;
        else problems.push(`${ae}.onlyOwnStation must be true or false`);
      } else if (k === 'modality') {
        if (typeof v === 'string' && /^[A-Z0-9_ ]{1,16}$/.test(v)) entry.modality = v;
        else problems.push(`${ae}.modality must be a DICOM modality code (e.g. CT), up to 16 capitals or digits`);
      } else if (k === 'maxAnswers') {
        if (typeof v === 'number' && Number.isInteger(v) && v >= 0) entry.maxAnswers = v;
        else problems.push(`${ae}.maxAnswers must be a whole number >= 0`);
      } else problems.push(`${ae}: unknown setting "${k}"`);
    }
    settings[ae] = Object.freeze(entry);
  }
  return problems.length ? new Problem(problems.join('; ')) : Object.freeze(settings);
}

function coerce(type: SettingType, value: unknown): Value | Problem {
  if (type.kind === 'callingAeSettings') return coerceCallingAeSettings(value);
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  if (text === undefined) return new Problem(`expected a ${type.kind}, got ${JSON.stringify(value)}`);
  switch (type.kind) {
    case 'string':
    case 'path':
      return text.length > 0 ? text : new Problem('must not be empty');
    case 'pathOrEmpty':
      return text;
    case 'port':
      return integer(text, 0, 65535);
    case 'portOrOff':
      return text.toLowerCase() === 'off' ? 'off' : integer(text, 0, 65535);
    case 'integer':
      return integer(text, type.min, type.max);
    case 'enum':
      return type.values.includes(text) ? text : new Problem(`"${text}" is not one of ${type.values.join(', ')}`);
    case 'hostPortOrEmpty': {
      if (text === '') return undefined;
      const m = /^(.+):(\d{1,5})$/.exec(text);
      const port = Number(m?.[2]);
      return m?.[1] && port > 0 && port <= 65535 ? Object.freeze({ host: m[1], port }) : new Problem(`"${text}" is not host:port`);
    }
    case 'aeTitleList': {
      const titles = text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const bad = titles.filter((t) => aeTitleProblem(t) !== undefined);
      return bad.length ? new Problem(`${bad.map((b) => `"${b}"`).join(', ')} is not an AE title`) : Object.freeze(titles);
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(t)) return true;
      if (['false', 'no', 'off', '0'].includes(t)) return false;
      return new Problem(`"${text}" is not true or false`);
    }
    case 'aeTitleOrEmpty':
      if (text === '') return '';
    // falls through
    case 'aeTitle': {
      const problem = aeTitleProblem(text);
      return problem === undefined
        ? text
        : new Problem(`"${text}" is not an AE title (${problem}): 1-16 printable ASCII characters, no backslash, no control characters`);
    }
    case 'uidRoot':
      return /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(text) && text.length <= 40
        ? text
        : new Problem(`"${text}" is not a UID root: digits separated by dots, no leading zeros, at most 40 characters`);
  }
}

function integer(text: string, min: number, max: number): number | Problem {
  if (!/^-?[0-9]+$/.test(text)) return new Problem(`"${text}" is not a whole number`);
  const n = Number(text);
  return n >= min && n <= max ? n : new Problem(`${n} is outside ${min}..${max}`);
}
