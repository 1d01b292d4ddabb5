/**
 * A worklist item in DICOM terms: the fields the Today view shows, and every attribute as a row
 * (tag, keyword, VR, value), sequences indented, for the Item view.
 */
import { lookupTag } from '../../model/dictionary.js';
import { Tags, elementStrings, firstString, sequenceItems, type DicomJson, type DicomJsonElement, type PersonNameValue } from '../../model/item.js';
import { html, type Html } from './html.js';

/** What the Today view shows of an item (from its first scheduled procedure step). */
export interface ItemSummary {
  station: string;
  modality: string;
  date: string;
  time: string;
  patientName: string;
  patientId: string;
  accessionNumber: string;
  procedure: string;
}

export function summarize(dataset: DicomJson): ItemSummary {
  const step = sequenceItems(dataset, Tags.ScheduledProcedureStepSequence)[0] ?? {};
  return {
    station: firstString(step, Tags.ScheduledStationAETitle) ?? '',
    modality: firstString(step, Tags.Modality) ?? firstString(dataset, Tags.Modality) ?? '',
    date: firstString(step, Tags.ScheduledProcedureStepStartDate) ?? '',
    time: firstString(step, Tags.ScheduledProcedureStepStartTime) ?? '',
    patientName: firstString(dataset, Tags.PatientName) ?? '',
    patientId: firstString(dataset, Tags.PatientID) ?? '',
    accessionNumber: firstString(dataset, Tags.AccessionNumber) ?? '',
    // ScheduledProcedureStepDescription, else RequestedProcedureDescription.
    procedure: firstString(step, '00400007') ?? firstString(dataset, '00321060') ?? '',
  };
}

/** DA as YYYY-MM-DD, TM as HH:MM (other text as it is). */
export const showDate = (da: string): string => (/^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da);
export const showTime = (tm: string): string => (/^\d{4}/.test(tm) ? `${tm.slice(0, 2)}:${tm.slice(2, 4)}` : tm);
/** A person name's components (^) as spaces, for reading. */
export const showName = (pn: string): string => pn.replace(/\^+/g, ' ').trim();

function personName(v: PersonNameValue): string {
  return [v.Alphabetic, v.Ideographic, v.Phonetic].filter((g) => g !== undefined && g !== '').join(' = ');
}

function valueText(element: DicomJsonElement): string {
  if (element.vr === 'PN') return (element.Value ?? []).map((v) => (v && typeof v === 'object' ? personName(v as PersonNameValue) : String(v))).join(' \\ ');
  return elementStrings(element).join(' \\ ');
}

const tagLabel = (tag: string): string => `(${tag.slice(0, 4)},${tag.slice(4, 8)})`;

/** Rows of a data set, depth first; sequence items announced by a row of their own. */
function rows(dataset: DicomJson, depth: number): Html[] {
  const out: Html[] = [];
  for (const tag of Object.keys(dataset).sort()) {
    const element = dataset[tag];
    if (!element) continue;
    const keyword = lookupTag(tag)?.keyword ?? '(private or unknown)';
    const indent = `depth-${Math.min(depth, 4)}`;
    if (element.vr === 'SQ') {
      const items = sequenceItems(dataset, tag);
      out.push(
        html`<tr class="${indent}">
          <td>${tagLabel(tag)}</td>
          <th scope="row">${keyword}</th>
          <td>SQ</td>
          <td>${items.length} item(s)</td>
        </tr>`,
      );
      items.forEach((item, i) => {
        out.push(
          html`<tr class="depth-${Math.min(depth + 1, 4)} seq-item">
            <td></td>
            <td colspan="3">Item ${i + 1}</td>
          </tr>`,
        );
        out.push(...rows(item, depth + 1));
      });
    } else {
      out.push(
        html`<tr class="${indent}">
          <td>${tagLabel(tag)}</td>
          <th scope="row">${keyword}</th>
          <td>${element.vr}</td>
          <td>${valueText(element)}</td>
        </tr>`,
      );
    }
  }
  return out;
}

export function attributeTable(dataset: DicomJson): Html {
  return html`<table class="attributes">
    <caption>
      Attributes (DICOM JSON, as answered to C-FIND)
    </caption>
    <thead>
      <tr>
        <th scope="col">Tag</th>
        <th scope="col">Keyword</th>
        <th scope="col">VR</th>
        <th scope="col">Value</th>
      </tr>
    </thead>
    <tbody>
      ${rows(dataset, 0)}
    </tbody>
  </table>`;
}

/** A status as a badge: the word itself (never colour alone). */
export function statusBadge(status: string): Html {
  return html`<span class="status status-${status.toLowerCase().replace(/[^a-z]/g, '')}">${status}</span>`;
}
