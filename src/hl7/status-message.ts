/**
 * The HL7 status message a RIS gets when a modality reports progress (MPPS): ORM^O01 with
 * ORC-1 SC and ORC-5 IP (in progress), CM (completed) or DC (discontinued), identifying the
 * order the way the RIS sent it (placer/filler order numbers, accession, requested procedure, SPS).
 */
import { Tags, firstString, sequenceItems, type DicomJson } from '../model/item.js';
import { escapeHl7, hl7Timestamp } from './ack.js';

export type OrderStatusCode = 'IP' | 'CM' | 'DC';

let counter = 0;

export function buildStatusMessage(
  item: DicomJson,
  status: OrderStatusCode,
  opts: { sendingApplication: string; now?: Date },
): { controlId: string; text: string } {
  const now = opts.now ?? new Date();
  counter = (counter + 1) % 100000;
  const controlId = `S${now.getTime()}${String(counter).padStart(5, '0')}`;
  const v = (tag: string, from: DicomJson = item): string => escapeHl7(firstString(from, tag) ?? '');
  const step = sequenceItems(item, Tags.ScheduledProcedureStepSequence)[0] ?? {};
  const code = sequenceItems(item, '00321064')[0] ?? {};
  const placer = v(Tags.PlacerOrderNumberImagingServiceRequest);
  const filler = v(Tags.FillerOrderNumberImagingServiceRequest);
  const service = [v('00080100', code), v('00080104', code), v('00080102', code)].join('^').replace(/\^+$/, '');
  const segments = [
    ['MSH', '^~\\&', escapeHl7(opts.sendingApplication), '', '', '', hl7Timestamp(now), '', 'ORM^O01', controlId, 'P', '2.3.1'],
    [
      'PID',
      '1',
      '',
      [v(Tags.PatientID), '', '', v(Tags.IssuerOfPatientID)].join('^').replace(/\^+$/, ''),
      '',
      personNameToXpn(firstString(item, Tags.PatientName) ?? ''),
    ],
    ['ORC', 'SC', placer, filler, '', status],
    [
      'OBR',
      '1',
      placer,
      filler,
      service,
      ...new Array<string>(13).fill(''),
      v(Tags.AccessionNumber),
      v(Tags.RequestedProcedureID),
      v(Tags.ScheduledProcedureStepID, step),
      '',
      '',
      '',
      '',
      v(Tags.Modality, step),
    ],
  ];
  return { controlId, text: segments.map((s) => s.join('|').replace(/\|+$/, '')).join('\r') + '\r' };
}

/** DICOM PN family^given^middle^prefix^suffix -> HL7 XPN family^given^middle^suffix^prefix. */
function personNameToXpn(pn: string): string {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('^');
  return [family, given, middle, suffix, prefix].map(escapeHl7).join('^').replace(/\^+$/, '');
}
