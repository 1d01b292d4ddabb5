/**
 * Synthetic ORM^O01 orders for the benchmark, deterministic for a seed: patients with several
 * orders, a spread of modalities and stations, 30 scheduled days, common names. With 5 stations
 * (one modality each) and 30 days, one station + one day holds about 1/150 of the orders.
 */
import { seededRandom } from '../test/helpers/random.js';

export const STATIONS = [
  { aeTitle: 'CT_1', modality: 'CT', code: 'CTHEAD', text: 'CT head' },
  { aeTitle: 'MR_1', modality: 'MR', code: 'MRKNEE', text: 'MR knee' },
  { aeTitle: 'US_1', modality: 'US', code: 'USABD', text: 'US abdomen' },
  { aeTitle: 'CR_1', modality: 'CR', code: 'XRCHEST', text: 'XR chest' },
  { aeTitle: 'MG_1', modality: 'MG', code: 'MGSCREEN', text: 'Screening mammography' },
] as const;
export const DAYS = 30;
const FIRST_DAY = Date.UTC(2026, 11, 1);

const LAST_NAMES = [
  'SMITH',
  'MÜLLER',
  'GARCIA',
  'MARTIN',
  'ROSSI',
  'DUBOIS',
  'NOWAK',
  'JOHANSSON',
  'SILVA',
  'KOWALSKI',
  'BROWN',
  'WILSON',
  'LEFÈVRE',
  'JANSEN',
  'NAGY',
  'SCHMIDT',
];
const FIRST_NAMES = ['ANNA', 'JOHN', 'MARIA', 'JOSÉ', 'EMMA', 'LUCAS', 'SOFIA', 'NOAH', 'ZOË', 'LIAM', 'MIA', 'OLIVER', 'HANNA', 'ELIAS'];

export interface SyntheticOrder {
  text: string;
  patientId: string;
  accession: string;
  modality: string;
  station: string;
  date: string;
}

export function dayOf(index: number): string {
  return new Date(FIRST_DAY + index * 86400000).toISOString().slice(0, 10).replace(/-/g, '');
}

/** n orders; patients number about n/2, so many have two or more orders. Numbers (accession...) start at firstNumber. */
export function syntheticOrders(n: number, seed = 1, firstNumber = 0): SyntheticOrder[] {
  const rnd = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const patients = Math.max(1, Math.floor(n / 2));
  const orders: SyntheticOrder[] = [];
  for (let i = 0; i < n; i++) {
    const p = Math.floor(rnd() * patients);
    const patientId = `BP${String(p).padStart(7, '0')}`;
    const name = `${LAST_NAMES[p % LAST_NAMES.length]}${p % 7 === 0 ? '-' + LAST_NAMES[(p >> 3) % LAST_NAMES.length]! : ''}^${FIRST_NAMES[(p >> 4) % FIRST_NAMES.length]}`;
    const birth = `19${String(30 + (p % 70)).padStart(2, '0')}${String(1 + (p % 12)).padStart(2, '0')}${String(1 + (p % 28)).padStart(2, '0')}`;
    const station = pick(STATIONS);
    const date = dayOf(Math.floor(rnd() * DAYS));
    const time = `${String(7 + Math.floor(rnd() * 11)).padStart(2, '0')}${pick(['00', '15', '30', '45'])}00`;
    const n8 = String(firstNumber + i).padStart(8, '0');
    const accession = `BA${n8}`;
    const text = [
      `MSH|^~\\&|BENCH_RIS|RADIOLOGY|MWL_BRIDGE|HOSPITAL|20261123090000||ORM^O01|BM${n8}|P|2.5||||||UNICODE UTF-8`,
      `PID|1||${patientId}^^^HOSP^MR||${name}||${birth}|${p % 2 ? 'M' : 'F'}`,
      'PV1|1|O||||||1234^WELBY^MARCUS^^^DR',
      `ORC|NW|BPL${n8}^RIS|BFL${n8}^RIS||SC||^^^${date}${time}^^R`,
      `OBR|1|BPL${n8}^RIS|BFL${n8}^RIS|${station.code}^${station.text}^LOCAL||||||||||||5678^HOUSE^GREGORY^^^DR||${accession}|BRP${n8}|BSP${n8}|${station.aeTitle}|||${station.modality}|||^^^${date}${time}`,
    ].join('\r');
    orders.push({ text, patientId, accession, modality: station.modality, station: station.aeTitle, date });
  }
  return orders;
}
