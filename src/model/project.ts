/**
 * Builds a C-FIND answer: the matched item projected onto the requested keys (PS3.4 C.2.2.1.2).
 * Every requested key is present; a key the item lacks is returned zero-length, as wlmscpfs does
 * (a sequence the item lacks: zero-length, or one item of zero-length keys when keys were asked
 * inside it). A requested sequence with an empty item (or no item) gets the item's whole sequence; one with
 * keys gets the item's matching sequence items, each projected onto those keys.
 */
import { itemsOf, type DicomJson } from './item.js';
import { narrowestCharacterSet } from './encoding.js';
import { matchDataset, isPrivateTag, type MatchOptions } from './match.js';

export function projectAnswer(item: DicomJson, identifier: DicomJson, opts: MatchOptions): DicomJson {
  const answer = projectDataset(item, identifier, opts);
  // Answers are UTF-8: any value beyond ASCII needs the Specific Character Set said.
  if (narrowestCharacterSet(answer) !== undefined) answer['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  return answer;
}

/** The whole item as an answer (DICOMweb includefield=all): text is Unicode, so the character set is UTF-8's when any value needs one. */
export function wholeAnswer(item: DicomJson): DicomJson {
  const { ['00080005']: _declared, ...answer } = item;
  if (narrowestCharacterSet(answer) !== undefined) answer['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  return answer;
}

function projectDataset(item: DicomJson, identifier: DicomJson, opts: MatchOptions): DicomJson {
  const out: DicomJson = {};
  for (const [tag, requested] of Object.entries(identifier)) {
    if (tag === '00080005' || tag.endsWith('0000') || isPrivateTag(tag)) continue;
    const have = item[tag];
    if (requested.vr !== 'SQ') {
      out[tag] = have && have.vr !== 'SQ' ? have : { vr: requested.vr, Value: [] };
      continue;
    }
    const queryItems = itemsOf(requested).filter((q) => Object.keys(q).length > 0);
    if (!have || have.vr !== 'SQ') {
      // As wlmscpfs: a requested item of keys comes back as one item of zero-length keys.
      out[tag] = { vr: 'SQ', Value: queryItems.slice(0, 1).map((q) => projectDataset({}, q, opts)) };
      continue;
    }
    if (queryItems.length === 0) {
      out[tag] = have;
      continue;
    }
    const projected: DicomJson[] = [];
    for (const haveItem of itemsOf(have)) {
      const queryItem = queryItems.find((q) => matchDataset(haveItem, q, opts));
      if (queryItem) projected.push(projectDataset(haveItem, queryItem, opts));
    }
    out[tag] = { vr: 'SQ', Value: projected };
  }
  return out;
}
