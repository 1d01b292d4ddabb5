/**
 * Audit messages in the DICOM PS3.15 A.5 format (the IHE ATNA schema): one XML document per event,
 * built from the event's facts alone (pure). Codes are DICOM's (DCM, CID 400-405) and RFC 3881's.
 */

export interface Participant {
  userId: string;
  alternativeUserId?: string;
  isRequestor: boolean;
  /** An IP address (type 2) or host name (type 1). */
  networkAccessPoint?: string;
  role?: Code;
}

export interface Code {
  code: string;
  system: string;
  text: string;
}

export interface ParticipantObject {
  /** 1 person, 2 system object. */
  typeCode: 1 | 2;
  /** 1 patient, 3 report, 13 security resource... (RFC 3881 role). */
  role: number;
  idType: Code;
  id: string;
  name?: string;
  /** Base64 of the query (ParticipantObjectQuery). */
  query?: Buffer;
  details?: Record<string, string>;
}

export interface AuditEvent {
  id: Code;
  type?: Code;
  /** C create, R read, U update, D delete, E execute. */
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  /** 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
  outcome: 0 | 4 | 8 | 12;
  time?: Date;
  participants: Participant[];
  objects?: ParticipantObject[];
}

const dcm = (code: string, text: string): Code => ({ code, system: 'DCM', text });

/** Event IDs (CID 400), types (CID 401, 403), roles (CID 402) and object ID types used by the bridge. */
export const Codes = {
  applicationActivity: dcm('110100', 'Application Activity'),
  applicationStart: dcm('110120', 'Application Start'),
  applicationStop: dcm('110121', 'Application Stop'),
  query: dcm('110112', 'Query'),
  orderRecord: dcm('110109', 'Order Record'),
  securityAlert: dcm('110113', 'Security Alert'),
  nodeAuthentication: dcm('110126', 'Node Authentication'),
  useOfRestrictedFunction: dcm('110132', 'Use of Restricted Function'),
  userAuthentication: dcm('110114', 'User Authentication'),
  login: dcm('110122', 'Login'),
  import: dcm('110107', 'Import'),
  application: dcm('110150', 'Application'),
  applicationLauncher: dcm('110151', 'Application Launcher'),
  destination: dcm('110152', 'Destination Role ID'),
  source: dcm('110153', 'Source Role ID'),
  patientNumber: { code: '2', system: 'RFC-3881', text: 'Patient Number' },
  mwlFind: dcm('1.2.840.10008.5.1.4.31', 'Modality Worklist Information Model - FIND'),
  alertNode: dcm('110182', 'Node ID'),
} as const;

/** The XML of one audit message, on one line (a syslog message body). */
export function auditXml(event: AuditEvent, sourceId: string): string {
  const time = (event.time ?? new Date()).toISOString();
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?><AuditMessage>`,
    `<EventIdentification EventActionIndicator="${event.action}" EventDateTime="${time}" EventOutcomeIndicator="${event.outcome}">`,
    codeXml('EventID', event.id),
    event.type ? codeXml('EventTypeCode', event.type) : '',
    `</EventIdentification>`,
    ...event.participants.map(participantXml),
    `<AuditSourceIdentification AuditSourceID="${esc(sourceId)}"><AuditSourceTypeCode csd-code="4" codeSystemName="DCM" originalText="Application Server Process"/></AuditSourceIdentification>`,
    ...(event.objects ?? []).map(objectXml),
    `</AuditMessage>`,
  ];
  return parts.join('');
}

function codeXml(element: string, code: Code): string {
  return `<${element} csd-code="${esc(code.code)}" codeSystemName="${esc(code.system)}" originalText="${esc(code.text)}"/>`;
}

function participantXml(p: Participant): string {
  const address = p.networkAccessPoint;
  const attrs = [
    `UserID="${esc(p.userId)}"`,
    p.alternativeUserId ? `AlternativeUserID="${esc(p.alternativeUserId)}"` : '',
    `UserIsRequestor="${String(p.isRequestor)}"`,
    address ? `NetworkAccessPointID="${esc(address)}" NetworkAccessPointTypeCode="${/^[\d.:]+$/.test(address) ? 2 : 1}"` : '',
  ].filter(Boolean);
  return `<ActiveParticipant ${attrs.join(' ')}>${p.role ? codeXml('RoleIDCode', p.role) : ''}</ActiveParticipant>`;
}

function objectXml(o: ParticipantObject): string {
  const body = [
    codeXml('ParticipantObjectIDTypeCode', o.idType),
    o.name ? `<ParticipantObjectName>${esc(o.name)}</ParticipantObjectName>` : '',
    o.query ? `<ParticipantObjectQuery>${o.query.toString('base64')}</ParticipantObjectQuery>` : '',
    ...Object.entries(o.details ?? {}).map(
      ([type, value]) => `<ParticipantObjectDetail type="${esc(type)}" value="${Buffer.from(value, 'utf8').toString('base64')}"/>`,
    ),
  ];
  return `<ParticipantObjectIdentification ParticipantObjectID="${esc(o.id)}" ParticipantObjectTypeCode="${o.typeCode}" ParticipantObjectTypeCodeRole="${o.role}">${body.join('')}</ParticipantObjectIdentification>`;
}

/** XML attribute and text escaping; control characters (other than none allowed in XML 1.0) become spaces. */
function esc(text: string): string {
  return text
    .replace(/[\p{Cc}]/gu, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
