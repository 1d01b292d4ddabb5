/**
 * Every setting of the bridge, declared once: its type, default and documentation (in the
 * settings-*.ts files, by area). The loader, the CLI flags, the environment variables and the
 * README table are all derived from this list.
 */
import { databaseSettings, dataSettings } from './settings-store.js';
import { dicomSettings } from './settings-dicom.js';
import { hl7Settings, mppsSettings } from './settings-hl7.js';
import { tlsSettings } from './settings-tls.js';
import { auditSettings } from './settings-audit.js';
import { httpSettings } from './settings-http.js';
import type { CallingAeSetting, HostPort, SettingSpec } from './setting-types.js';

export type { CallingAeSetting, HostPort, SettingSpec, SettingType } from './setting-types.js';

export const settingsSchema = {
  ...databaseSettings,
  ...hl7Settings,
  ...dicomSettings,
  ...mppsSettings,
  ...tlsSettings,
  ...auditSettings,
  ...httpSettings,
  ...dataSettings,
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof settingsSchema;

/** What each kind of setting is once loaded: real booleans, numbers, lists and maps. */
interface KindValues {
  string: string;
  path: string;
  pathOrEmpty: string;
  port: number;
  portOrOff: number | 'off';
  integer: number;
  enum: string;
  boolean: boolean;
  callingAeSettings: Readonly<Record<string, CallingAeSetting>>;
  hostPortOrEmpty: HostPort | undefined;
  aeTitleList: readonly string[];
  aeTitle: string;
  aeTitleOrEmpty: string;
  uidRoot: string;
}

type SettingTypeOf<K extends SettingKey> = (typeof settingsSchema)[K]['type'];
/** The loaded value of a setting: an enum gives the union of its values. */
export type SettingValue<K extends SettingKey> =
  SettingTypeOf<K> extends { kind: 'enum'; values: readonly (infer V)[] } ? V : KindValues[SettingTypeOf<K>['kind']];

/** The validated, frozen configuration the bridge runs with. */
export type BridgeConfig = { readonly [K in SettingKey]: SettingValue<K> };

/** MWL_BRIDGE_ + the key in upper snake case: dicom.aeTitle -> MWL_BRIDGE_DICOM_AE_TITLE. */
export function envVarFor(key: string): string {
  return (
    'MWL_BRIDGE_' +
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/\./g, '_')
      .toUpperCase()
  );
}

/** Environment variable naming the config file. */
export const configFileEnvVar = 'MWL_BRIDGE_CONFIG';
