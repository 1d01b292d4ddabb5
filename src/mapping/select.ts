/**
 * Several mapping files can be active. For a message, the mappings that handle its type and whose
 * sender / facility / version criteria all hold are candidates; the most specific one wins
 * (sending application > facility > version), and a mapping without criteria is the default.
 * The texts are compiled by compileMappingSet (compile.ts).
 */
import { BridgeError } from '../errors.js';
import { Hl7Error } from '../model/hl7-error.js';
import type { Mapping } from './model.js';
import type { MessageHeader } from './message.js';

export class MappingSet {
  constructor(readonly mappings: readonly Mapping[]) {
    checkAmbiguity(mappings);
  }

  /** The mapping for a message, or a typed error saying which message types are handled. */
  select(header: MessageHeader): Mapping {
    const type = `${header.messageCode}^${header.triggerEvent}`;
    let best: Mapping | undefined;
    let bestScore = -1;
    for (const m of this.mappings) {
      const score = specificity(m, header, type);
      if (score > bestScore) {
        best = m;
        bestScore = score;
      }
    }
    if (!best) {
      const handled = [...new Set(this.mappings.flatMap((m) => m.appliesTo.messages))].join(', ');
      throw new Hl7Error('HL7_UNSUPPORTED_MESSAGE', `message type ${type || '(empty)'} is not handled${senderNote(this.mappings, type, header)}`, {
        location: 'MSH-9',
        hint: `the active mappings handle ${handled}`,
      });
    }
    return best;
  }

  describe(): string {
    return this.mappings.map((m) => `${m.name} (${m.appliesTo.messages.join(',')})`).join(', ');
  }
}

/** -1 when the mapping does not apply; otherwise higher is more specific. */
function specificity(m: Mapping, h: MessageHeader, type: string): number {
  const a = m.appliesTo;
  if (!a.messages.includes(type)) return -1;
  if (a.sendingApplications.length && !a.sendingApplications.includes(h.sendingApplication)) return -1;
  if (a.sendingFacilities.length && !a.sendingFacilities.includes(h.sendingFacility)) return -1;
  if (a.versions.length && !a.versions.includes(h.version)) return -1;
  return (a.sendingApplications.length ? 4 : 0) + (a.sendingFacilities.length ? 2 : 0) + (a.versions.length ? 1 : 0);
}

function senderNote(mappings: readonly Mapping[], type: string, h: MessageHeader): string {
  return mappings.some((m) => m.appliesTo.messages.includes(type)) ? ` for sender ${h.sendingApplication}/${h.sendingFacility} version ${h.version}` : '';
}

/** Two mappings for the same message type with the same criteria would make the choice arbitrary. */
function checkAmbiguity(mappings: readonly Mapping[]): void {
  const seen = new Map<string, string>();
  for (const m of mappings) {
    const a = m.appliesTo;
    for (const type of a.messages) {
      const key = [type, [...a.sendingApplications].sort(), [...a.sendingFacilities].sort(), [...a.versions].sort()].join('|');
      const other = seen.get(key);
      if (other) {
        throw new BridgeError('MAPPING_INVALID', `mappings ${other} and ${m.file} both apply to ${type} with the same criteria`, {
          hint: 'give one of them appliesTo.sendingApplication, sendingFacility or versions, or drop one',
        });
      }
      seen.set(key, m.file);
    }
  }
}
