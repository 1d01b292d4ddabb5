/** What a setting is: its type (how its text is read and checked), default, flag and documentation. */
import type { CharacterSetTerm } from '../model/encoding.js';

export type SettingType =
  | { kind: 'string' }
  | { kind: 'path' }
  /** A path, or empty for none (the feature is off). */
  | { kind: 'pathOrEmpty' }
  /** A TCP port to listen on; 0 lets the system choose a free one (the bound port is logged). */
  | { kind: 'port' }
  /** A TCP port to listen on, 0 for any free one, or "off" for no listener. */
  | { kind: 'portOrOff' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'boolean' }
  /** Per calling AE title settings: a JSON object (a map in the config file). */
  | { kind: 'callingAeSettings' }
  /** host:port, or empty for none. */
  | { kind: 'hostPortOrEmpty' }
  /** Comma-separated AE titles, possibly none. */
  | { kind: 'aeTitleList' }
  | { kind: 'aeTitle' }
  | { kind: 'aeTitleOrEmpty' }
  | { kind: 'uidRoot' };

export interface SettingSpec {
  type: SettingType;
  default: string | number;
  /** CLI flag without the leading dashes. */
  flag: string;
  doc: string;
}

/** host:port of a peer (mpps.hl7Destination). */
export interface HostPort {
  host: string;
  port: number;
}

/** One calling AE title's settings (dicom.callingAeSettings). */
export interface CallingAeSetting {
  characterSet?: CharacterSetTerm;
  onlyOwnStation?: boolean;
  maxAnswers?: number;
  /** The modality this AE title is (e.g. CT): steps of that modality no table routes are scheduled on it (table $callingAeTitles of the mappings). */
  modality?: string;
}
