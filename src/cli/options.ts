/** Command line flags: one per setting (from the schema), plus each command's own. */
import { loadConfig } from '../config/load.js';
import { configFileEnvVar, envVarFor, settingsSchema, type BridgeConfig, type SettingKey, type SettingSpec } from '../config/schema.js';

export type Flags = Record<string, string | boolean | undefined>;

const settingFlags = (Object.entries(settingsSchema) as Array<[SettingKey, SettingSpec]>).filter(([, s]) => s.flag);

/** The options every command takes: --config, --help and one flag per setting. */
export const settingOptions = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(settingFlags.map(([, s]) => [s.flag, { type: 'string' }])),
} as const;

/**
 * The configuration from defaults, the config file (--config or MWL_BRIDGE_CONFIG), the environment
 * (this process's unless given: the tests' bridge host passes each test's) and the flags.
 */
export function buildConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const fromFlags: Partial<Record<SettingKey, string>> = {};
  for (const [key, spec] of settingFlags) {
    const value = flags[spec.flag];
    if (typeof value === 'string') fromFlags[key] = value;
  }
  const file = typeof flags.config === 'string' ? flags.config : env[configFileEnvVar];
  return loadConfig({ file, env, flags: fromFlags });
}

export function settingsHelp(): string {
  const lines = ['Settings (config file key / environment variable / flag; default):', ''];
  for (const [key, spec] of Object.entries(settingsSchema) as Array<[SettingKey, SettingSpec]>) {
    lines.push(`  ${key}  ${envVarFor(key)}${spec.flag ? `  --${spec.flag}` : ''}  (default ${spec.default})`);
    lines.push(`      ${spec.doc}`);
  }
  return lines.join('\n');
}

/** A flag's text, or undefined when absent or empty. */
export function text(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
