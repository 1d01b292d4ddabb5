/**
 * The manual entry form: the attributes a modality needs of a worklist item, as form fields, read
 * into a DICOM JSON data set for the same service the API's item writes use (worklist/manual-items.ts:
 * the type-1 and VR checks an order's item passes). A refusal names a tag; it is shown next to the
 * field that holds it.
 */
import { randomUUID } from 'node:crypto';
import { Tags, elementStrings, firstString, sequenceItems, type DicomJson, type DicomJsonElement } from '../../model/item.js';
import { html, type Html } from './html.js';

type FieldName =
  | 'patientName'
  | 'patientId'
  | 'birthDate'
  | 'sex'
  | 'accessionNumber'
  | 'requestedProcedureId'
  | 'procedure'
  | 'studyInstanceUid'
  | 'modality'
  | 'stationAeTitle'
  | 'date'
  | 'time'
  | 'stepId'
  | 'stepDescription';

interface FieldDef {
  name: FieldName;
  label: string;
  tag: string;
  vr: string;
  inStep: boolean;
  required?: boolean;
  type?: 'date' | 'time';
  hint?: string;
  options?: readonly string[];
}

const FIELDS: readonly FieldDef[] = [
  { name: 'patientName', label: 'Patient name', tag: Tags.PatientName, vr: 'PN', inStep: false, required: true, hint: 'FAMILY^GIVEN' },
  { name: 'patientId', label: 'Patient ID', tag: Tags.PatientID, vr: 'LO', inStep: false, required: true },
  { name: 'birthDate', label: 'Birth date', tag: '00100030', vr: 'DA', inStep: false, type: 'date' },
  { name: 'sex', label: 'Sex', tag: '00100040', vr: 'CS', inStep: false, options: ['', 'F', 'M', 'O'] },
  { name: 'accessionNumber', label: 'Accession number', tag: Tags.AccessionNumber, vr: 'SH', inStep: false },
  { name: 'requestedProcedureId', label: 'Requested procedure ID', tag: Tags.RequestedProcedureID, vr: 'SH', inStep: false, required: true },
  { name: 'procedure', label: 'Procedure description', tag: '00321060', vr: 'LO', inStep: false },
  {
    name: 'studyInstanceUid',
    label: 'Study instance UID',
    tag: Tags.StudyInstanceUID,
    vr: 'UI',
    inStep: false,
    hint: 'left empty: a new UID is made',
  },
  { name: 'modality', label: 'Modality', tag: Tags.Modality, vr: 'CS', inStep: true, required: true, hint: 'CT, MR, US, CR...' },
  { name: 'stationAeTitle', label: 'Station AE title', tag: Tags.ScheduledStationAETitle, vr: 'AE', inStep: true, required: true },
  { name: 'date', label: 'Scheduled date', tag: Tags.ScheduledProcedureStepStartDate, vr: 'DA', inStep: true, required: true, type: 'date' },
  { name: 'time', label: 'Scheduled time', tag: Tags.ScheduledProcedureStepStartTime, vr: 'TM', inStep: true, required: true, type: 'time' },
  {
    name: 'stepId',
    label: 'Scheduled step ID',
    tag: Tags.ScheduledProcedureStepID,
    vr: 'SH',
    inStep: true,
    hint: 'left empty: the requested procedure ID',
  },
  { name: 'stepDescription', label: 'Step description', tag: '00400007', vr: 'LO', inStep: true },
];

export type ItemFormValues = Partial<Record<FieldName, string>>;

/** A refusal shown on the form: next to its field when it names one, above the form otherwise. */
export interface FormError {
  field: FieldName | undefined;
  message: string;
}

/** The form's values as the browser sent them (strings only, each cut to a sane length). */
export function formValues(body: unknown): ItemFormValues {
  const form = (body ?? {}) as Record<string, unknown>;
  const out: ItemFormValues = {};
  for (const f of FIELDS) {
    const v = form[f.name];
    if (typeof v === 'string') out[f.name] = v.trim().slice(0, 200);
  }
  return out;
}

/** DA from an <input type="date"> (YYYY-MM-DD), TM from <input type="time"> (HH:MM[:SS]); other text as typed (the VR check judges it). */
function toDicom(f: FieldDef, value: string): string {
  if (f.type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value.replaceAll('-', '');
  if (f.type === 'time' && /^\d{2}:\d{2}(:\d{2})?$/.test(value)) return value.replaceAll(':', '').padEnd(6, '0');
  return value;
}

function fromDicom(f: FieldDef, value: string): string {
  if (f.type === 'date' && /^\d{8}$/.test(value)) return `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
  if (f.type === 'time' && /^\d{4}/.test(value)) return `${value.slice(0, 2)}:${value.slice(2, 4)}`;
  return value;
}

const element = (f: FieldDef, value: string): DicomJsonElement => (f.vr === 'PN' ? { vr: 'PN', Value: [{ Alphabetic: value }] } : { vr: f.vr, Value: [value] });

/**
 * The data set from the form, on top of base (an edited item keeps the attributes the form does not
 * show; its first step is changed, later ones kept). An empty field removes its attribute.
 */
export function datasetFromForm(values: ItemFormValues, base: DicomJson = {}): DicomJson {
  const filled: ItemFormValues = { ...values };
  if (!filled.studyInstanceUid) filled.studyInstanceUid = firstString(base, Tags.StudyInstanceUID) ?? newUid();
  if (!filled.stepId) filled.stepId = filled.requestedProcedureId;
  const [firstStep, ...otherSteps] = sequenceItems(base, Tags.ScheduledProcedureStepSequence);
  const emptied = (inStep: boolean): Set<string> => new Set(FIELDS.filter((f) => f.inStep === inStep && !filled[f.name]).map((f) => f.tag));
  const kept = (d: DicomJson, inStep: boolean): DicomJson => {
    const gone = emptied(inStep);
    return Object.fromEntries(Object.entries(d).filter(([tag]) => !gone.has(tag)));
  };
  const dataset = kept(base, false);
  const step = kept(firstStep ?? {}, true);
  // A field left as shown keeps its element as stored (other values, a name's ideographic group, a time's fraction).
  const shown = valuesOfItem(base);
  for (const f of FIELDS) {
    const value = filled[f.name];
    const target = f.inStep ? step : dataset;
    if (value && !(value === shown[f.name] && target[f.tag])) target[f.tag] = element(f, toDicom(f, value));
  }
  dataset[Tags.ScheduledProcedureStepSequence] = { vr: 'SQ', Value: [step, ...otherSteps] };
  return dataset;
}

/** The form's values from a stored item (for editing it). */
export function valuesOfItem(dataset: DicomJson): ItemFormValues {
  const step = sequenceItems(dataset, Tags.ScheduledProcedureStepSequence)[0] ?? {};
  const out: ItemFormValues = {};
  for (const f of FIELDS) out[f.name] = fromDicom(f, elementStrings((f.inStep ? step : dataset)[f.tag])[0] ?? '');
  return out;
}

/** A UID under the 2.25 root (PS3.5 B.2: a UUID as one decimal number). */
function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString()}`;
}

/** The field a refusal names, from its location ("(0010,0020)", "(0010,0020) PatientID"). */
export function fieldOfLocation(location: string | undefined): FieldName | undefined {
  const m = /\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)/.exec(location ?? '');
  if (!m) return undefined;
  const tag = `${m[1]}${m[2]}`.toUpperCase();
  return FIELDS.find((f) => f.tag === tag)?.name;
}

/** The form, filled with values, a refusal next to its field; posted to action. */
export function itemForm(action: string, submit: string, values: ItemFormValues, error: FormError | undefined): Html {
  const control = (f: FieldDef, described: string): Html => {
    const value = values[f.name] ?? '';
    const invalid = error?.field === f.name ? html`aria-invalid="true"` : '';
    if (f.options) {
      return html`<select id="f-${f.name}" name="${f.name}" aria-describedby="${described}" ${invalid}>
        ${f.options.map((o) => html`<option value="${o}" ${o === value ? html`selected` : ''}>${o || '(unknown)'}</option>`)}
      </select>`;
    }
    return html`<input
      id="f-${f.name}"
      name="${f.name}"
      type="${f.type ?? 'text'}"
      value="${value}"
      maxlength="200"
      ${f.required ? html`required` : ''}
      aria-describedby="${described}"
      ${invalid}
    />`;
  };
  return html`${error && !error.field ? html`<p class="error-text" role="alert" id="form-error">${error.message}</p>` : ''}
    <form method="post" action="${action}" class="item-form" novalidate>
      ${FIELDS.map((f) => {
        const described = [f.hint ? `h-${f.name}` : '', error?.field === f.name ? `e-${f.name}` : ''].filter(Boolean).join(' ');
        return html`<div class="field">
          <label for="f-${f.name}">${f.label}${f.required ? html` <span aria-hidden="true">*</span>` : ''}</label>
          ${control(f, described)} ${f.hint ? html`<span class="hint" id="h-${f.name}">${f.hint}</span>` : ''}
          ${error?.field === f.name ? html`<span class="error-text field-error" role="alert" id="e-${f.name}">${error.message}</span>` : ''}
        </div>`;
      })}
      <p class="hint">* required (type 1 in worklist items). The same checks as an order's item apply.</p>
      <button type="submit">${submit}</button>
    </form>`;
}
