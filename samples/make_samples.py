#!/usr/bin/env python3
"""Writes the sample HL7 messages in this folder. Fields are placed by number, so positions are
right; run it again after editing (python3 samples/make_samples.py). Each sample is one RIS style."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def seg(name, fields):
    n = max(fields) if fields else 0
    if name == 'MSH':  # MSH-1 is the separator itself, MSH-2 the first field written
        return '|'.join(['MSH'] + [fields.get(i, '') for i in range(2, n + 1)])
    return '|'.join([name] + [fields.get(i, '') for i in range(1, n + 1)])


def msh(ctrl, type_, version, charset='', app='RIS', fac='RADIOLOGY'):
    f = {2: '^~\\&', 3: app, 4: fac, 5: 'MWL_BRIDGE', 6: 'HOSPITAL', 7: '20261123091500', 9: type_, 10: ctrl, 11: 'P', 12: version}
    if charset:
        f[18] = charset
    return ('MSH', f)


def text(segs, sep='\r'):
    return sep.join(seg(n, f) for n, f in segs) + sep


def pid(pid3, name, dob='19700101', sex='M'):
    return ('PID', {1: '1', 3: pid3, 5: name, 7: dob, 8: sex})


PV1 = ('PV1', {1: '1', 2: 'O', 8: '1234^WELBY^MARCUS^^^DR'})


def orc(ctrl, n, status='SC', start='20261123100000', priority='R'):
    f = {1: ctrl, 2: f'PLC{n}^RIS', 3: f'FIL{n}^RIS', 5: status}
    if start:
        f[7] = f'^^^{start}^^{priority}'
    return ('ORC', f)


def obr(n, code, modality, start='20261123100000', accession=None, extra=None):
    f = {1: '1', 2: f'PLC{n}^RIS', 3: f'FIL{n}^RIS', 4: code, 16: '5678^HOUSE^GREGORY^^^DR',
         18: accession or f'ACC{n}', 19: f'RP{n}', 20: f'SPS{n}', 24: modality}
    if start:
        f[27] = f'^^^{start}'
    f.update(extra or {})
    return ('OBR', f)


samples = {}

# 1. v2.3.1 ORM with ZDS Study Instance UID (IHE RAD-4 classic)
samples['orm-ct-head.hl7'] = text([msh('MSG00001', 'ORM^O01', '2.3.1'), pid('PAT1001^^^HOSP^MR', 'DOE^JOHN^Q^JR^MR', '19700215'), PV1,
    orc('NW', 1001), obr(1001, 'CTHEAD^CT head without contrast^LOCAL', 'CT'),
    ('ZDS', {1: '1.2.826.0.1.3680043.10.543.1001^100^Application^DICOM'})])
# 2. v2.3.1 ORM without ZDS: the Study Instance UID is generated from the order
samples['orm-mr-knee.hl7'] = text([msh('MSG00002', 'ORM^O01', '2.3.1'), pid('PAT1002^^^HOSP^MR', 'ROE^JANE', '19851103', 'F'), PV1,
    orc('NW', 1002, start='20261123143000'), obr(1002, 'MRKNEE^MR knee left^LOCAL', 'MR', start='20261123143000')])
# 3. v2.5 ORM in UTF-8 (MSH-18 UNICODE UTF-8)
samples['orm-us-abdomen-utf8.hl7'] = text([msh('MSG00003', 'ORM^O01', '2.5', 'UNICODE UTF-8'), pid('PAT1003^^^HOSP^MR', 'MÜLLER^JÜRGEN', '19600101'),
    ('PV1', {1: '1', 2: 'O'}), orc('NW', 1003, start='20261124081500'), obr(1003, 'USABD^US abdomen^LOCAL', 'US', start='20261124081500')])
# 4. v2.3.1 ORM in ISO 8859-1 (MSH-18 8859/1), written as Latin-1 bytes
samples['orm-latin1.hl7'] = (text([msh('MSG00004', 'ORM^O01', '2.3.1', '8859/1'), pid('PAT1004^^^HOSP^MR', 'GONÇALVES^JOSÉ^ANDRÉ', '19551224'), PV1,
    orc('NW', 1004), obr(1004, 'XRTHX^Radiographie thorax face^LOCAL', 'CR')]), 'latin1')
# 5. v2.5.1 OMI^O23 with TQ1 timing and two IPC segments (two requested procedures of one order)
samples['omi-o23-ct-chest-abdomen.hl7'] = text([msh('MSG00005', 'OMI^O23^OMI_O23', '2.5.1', 'UNICODE UTF-8'),
    pid('PAT1005^^^HOSP^MR', 'SMITH^ANNA^MARIA', '19791010', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC1005^RIS', 3: 'FIL1005^RIS', 5: 'SC', 12: '5678^HOUSE^GREGORY^^^DR'}),
    ('TQ1', {1: '1', 7: '20261125093000', 9: 'R'}),
    ('OBR', {1: '1', 2: 'PLC1005^RIS', 3: 'FIL1005^RIS', 4: '^^^CTCAP^CT chest abdomen pelvis^LOCAL', 16: '5678^HOUSE^GREGORY^^^DR'}),
    ('IPC', {1: 'ACC1005A', 2: 'RP1005A', 3: '1.2.826.0.1.3680043.10.543.1005.1', 4: 'SPS1005A', 5: 'CT', 6: 'CHEST^CT chest^LOCAL', 7: 'CT_ROOM_1', 8: 'RAD^^^CT1', 9: 'CT_SCANNER_1'}),
    ('IPC', {1: 'ACC1005A', 2: 'RP1005A', 3: '1.2.826.0.1.3680043.10.543.1005.1', 4: 'SPS1005B', 5: 'CT', 6: 'ABDPELV^CT abdomen pelvis^LOCAL', 7: 'CT_ROOM_1', 8: 'RAD^^^CT1', 9: 'CT_SCANNER_1'})])
# 6. v2.4 ORM with LF segment separators and a non-DICOM modality code (NMR)
samples['orm-v24-lf-nmr.hl7'] = text([msh('MSG00006', 'ORM^O01', '2.4'), pid('PAT1006^^^HOSP^MR', 'BROWN^CHARLIE', '19900505'), PV1,
    orc('NW', 1006, start='202611231530'), obr(1006, 'MRBRAIN^MR brain^LOCAL', 'NMR', start='202611231530')], sep='\n')
# 7. repeated PID-3: the MR number is the second repetition
samples['orm-repeated-pid3.hl7'] = text([msh('MSG00007', 'ORM^O01', '2.3.1'), pid('998877^^^NATIONAL^NI~PAT1007^^^HOSP^MR~AB12^^^CLINIC^PI', 'GREEN^OLIVER', '20010301'),
    PV1, orc('NW', 1007), obr(1007, 'CTSINUS^CT sinuses^LOCAL', 'CT')])
# 8. two ORC/OBR groups in one message: two worklist items
samples['orm-two-obr.hl7'] = text([msh('MSG00008', 'ORM^O01', '2.3.1'), pid('PAT1008^^^HOSP^MR', 'WHITE^EMMA', '19670707', 'F'), PV1,
    orc('NW', 1081), obr(1081, 'XRKNEE^XR knee^LOCAL', 'CR'),
    orc('NW', 1082, start='20261123110000'), obr(1082, 'USKNEE^US knee^LOCAL', 'US', start='20261123110000')])
# 9. empty ORC-5 (order status), as many RIS send it
samples['orm-empty-orc5.hl7'] = text([msh('MSG00009', 'ORM^O01', '2.3'), pid('PAT1009^^^HOSP^MR', 'BLACK^JACK', '19800808'), PV1,
    orc('NW', 1009, status=''), obr(1009, 'MGSCREEN^Screening mammography^LOCAL', 'MG')])
# 10. escape sequences in names and descriptions (\S\ \T\ \F\ \E\ \X..\)
samples['orm-escapes.hl7'] = text([msh('MSG00010', 'ORM^O01', '2.3.1', 'UNICODE UTF-8'), pid('PAT1010^^^HOSP^MR', "O'NEIL\\T\\SONS^MARY", '19750303', 'F'), PV1,
    orc('NW', 1010), obr(1010, 'CTHN^CT head \\T\\ neck \\F\\ contrast \\E\\ angio^LOCAL', 'CT')])
# 11. XO: change of an existing order (new time)
samples['orm-xo-change.hl7'] = text([msh('MSG00011', 'ORM^O01', '2.3.1'), pid('PAT1002^^^HOSP^MR', 'ROE^JANE', '19851103', 'F'), PV1,
    orc('XO', 1002, start='20261123160000'), obr(1002, 'MRKNEE^MR knee left^LOCAL', 'MR', start='20261123160000')])
# 12. CA: cancel of an existing order
samples['orm-ca-cancel.hl7'] = text([msh('MSG00012', 'ORM^O01', '2.3.1'), pid('PAT1001^^^HOSP^MR', 'DOE^JOHN^Q^JR^MR', '19700215'), PV1,
    orc('CA', 1001, status='CA'), obr(1001, 'CTHEAD^CT head without contrast^LOCAL', 'CT')])
# 13. OMG^O19 general order with TQ1 timing
samples['omg-o19-xr-hand.hl7'] = text([msh('MSG00013', 'OMG^O19^OMG_O19', '2.5'), pid('PAT1013^^^HOSP^MR', 'KING^ARTHUR', '19451111'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC1013^RIS', 3: 'FIL1013^RIS', 5: 'SC'}), ('TQ1', {1: '1', 7: '20261123084500', 9: 'S'}),
    ('OBR', {1: '1', 2: 'PLC1013^RIS', 3: 'FIL1013^RIS', 4: 'XRHAND^XR hand right^LOCAL', 18: 'ACC1013', 24: 'DX'})])
# 14-16. three RIS flavours, each with its own mapping in mappings/examples/
samples['ris-alpha-orm.hl7'] = text([msh('MSG00014', 'ORM^O01', '2.3.1', app='ALPHA_RIS', fac='ALPHA'), pid('PAT1014^^^HOSP^MR', 'ALPHA^ALICE', '19880101', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC1014^ALPHA', 3: 'A-1014^ALPHA', 5: 'SC'}),
    ('OBR', {1: '1', 2: 'PLC1014^ALPHA', 3: 'A-1014^ALPHA', 4: 'CT0042^CT abdomen^ALPHA', 7: '20261123120000'})])
samples['ris-beta-orm.hl7'] = text([msh('MSG00015', 'ORM^O01', '2.4', app='BETA_RIS', fac='BETA'), pid('PAT1015^^^HOSP^MR', 'BETA^BOB', '19770707'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC1015^BETA', 3: 'FIL1015^BETA', 5: 'SC'}),
    ('OBR', {1: '1', 2: 'PLC1015^BETA', 3: 'FIL1015^BETA', 4: 'MRSPINE^MR lumbar spine^BETA', 21: 'B20261115', 36: '20261123133000', 44: 'MR^Magnetic resonance'})])
samples['ris-gamma-orm.hl7'] = text([msh('MSG00016', 'ORM^O01', '2.5', app='GAMMA_RIS', fac='GAMMA'), pid('PAT1016^^^HOSP^MR', 'GAMMA^GRACE', '19950909', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC1016^GAMMA', 3: 'FIL1016^GAMMA', 5: 'SC'}),
    ('OBR', {1: '1', 2: 'PLC1016^GAMMA', 3: 'FIL1016^GAMMA', 4: 'US-THY^US thyroid^GAMMA'}),
    ('ZSI', {1: 'G-1016', 2: 'US', 3: 'US_ROOM_2', 4: '20261123', 5: '1445'})])
# 17-19. patient updates and a status change (order lifecycle)
samples['adt-a08-update.hl7'] = text([msh('MSG00017', 'ADT^A08^ADT_A01', '2.5', app='ADT', fac='HOSP'), ('EVN', {1: 'A08', 2: '20261123093000'}),
    pid('PAT1002^^^HOSP^MR', 'ROE-SMITH^JANE^ELIZABETH', '19851103', 'F'), ('PV1', {1: '1', 2: 'O'})])
samples['adt-a40-merge.hl7'] = text([msh('MSG00018', 'ADT^A40^ADT_A39', '2.5', app='ADT', fac='HOSP'), ('EVN', {1: 'A40', 2: '20261123094000'}),
    pid('PAT2001^^^HOSP^MR', 'DOE^JOHNATHAN^Q', '19700215'), ('MRG', {1: 'PAT1001^^^HOSP^MR'})])
samples['orm-sc-completed.hl7'] = text([msh('MSG00019', 'ORM^O01', '2.3.1'), pid('PAT1003^^^HOSP^MR', 'MÜLLER^JÜRGEN', '19600101'), PV1,
    orc('SC', 1003, status='CM', start=''), obr(1003, 'USABD^US abdomen^LOCAL', 'US', start='')])
# Rejected on purpose
samples['adt-a01-unsupported.hl7'] = text([msh('MSG00098', 'ADT^A01', '2.3.1', app='ADT', fac='HOSP'), ('PID', {1: '1', 3: 'PAT1001^^^HOSP^MR', 5: 'DOE^JOHN'})])
samples['orm-missing-patient-id.hl7'] = text([msh('MSG00099', 'ORM^O01', '2.3.1'), ('PID', {1: '1', 5: 'NOID^PATIENT'}), ('PV1', {1: '1'}),
    orc('NW', 1099), obr(1099, 'XRCHEST^XR chest^LOCAL', 'CR')])

# Real RIS feeds (issue 18): one or more per class a real sender shows in its first week. Written
# from the HL7 v2.2-v2.5.1 chapters 2 and 4 (ORM^O01, OMI^O23, TQ/TQ1, IPC) and the IHE RAD-4
# profile, in the shapes vendor interface specifications describe; each maps (or is refused) as
# samples/expected/ says, with the derived values named.
# -- no start date where the mapping looks
samples['orm-start-in-tq1-v25.hl7'] = text([msh('MSG02001', 'ORM^O01^ORM_O01', '2.5'), pid('PAT2001^^^HOSP^MR', 'NGUYEN^LINH', '19820304', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC2001^RIS', 3: 'FIL2001^RIS', 5: 'SC'}),
    ('TQ1', {1: '1', 7: '20261124081500', 9: 'R'}),
    obr(2001, 'MRKNEE^MR knee left^LOCAL', 'MR', start='')])
samples['orm-start-in-obr7-only.hl7'] = text([msh('MSG02002', 'ORM^O01', '2.3'), pid('PAT2002^^^HOSP^MR', 'OKAFOR^CHIDI', '19751212'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC2002^RIS', 3: 'FIL2002^RIS', 5: 'SC'}),
    obr(2002, 'CTHEAD^CT head without contrast^LOCAL', 'CT', start='', extra={7: '202611241330'})])
samples['orm-start-not-a-date.hl7'] = text([msh('MSG02003', 'ORM^O01', '2.3.1'), pid('PAT2003^^^HOSP^MR', 'SILVA^ANA', '19900101', 'F'), PV1,
    orc('NW', 2003, start='2026-11-24 09:30'), obr(2003, 'USABD^US abdomen^LOCAL', 'US', start='2026-11-24 09:30', extra={6: '20261124093000'})])
samples['orm-start-only-message-time.hl7'] = text([msh('MSG02004', 'ORM^O01', '2.4'), pid('PAT2004^^^HOSP^MR', 'BERG^LARS', '19661010'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC2004^RIS', 3: 'FIL2004^RIS', 5: 'SC'}),
    obr(2004, 'XRCHEST^XR chest^LOCAL', 'CR', start='')])
# -- no requested procedure ID or step ID
samples['orm-no-rp-sps-id.hl7'] = text([msh('MSG02005', 'ORM^O01', '2.3.1'), pid('PAT2005^^^HOSP^MR', 'KOWALSKI^PIOTR', '19580505'), PV1,
    orc('NW', 2005), obr(2005, 'MRBRAIN^MR brain^LOCAL', 'MR', extra={19: '', 20: ''})])
samples['orm-only-placer-number.hl7'] = text([msh('MSG02006', 'ORM^O01', '2.3.1'), pid('PAT2006^^^HOSP^MR', 'MEYER^LENA', '19930707', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'ORD-2026-000000002006^HIS', 5: 'SC', 7: '^^^20261124110000^^R'}),
    ('OBR', {1: '1', 2: 'ORD-2026-000000002006^HIS', 4: 'CTSINUS^CT sinuses^LOCAL', 24: 'CT'})])
# -- OMI^O23 without IPC segments: one item from ORC/OBR (+ZDS/TQ1)
samples['omi-o23-no-ipc.hl7'] = text([msh('MSG02007', 'OMI^O23^OMI_O23', '2.5.1', 'UNICODE UTF-8'), pid('PAT2007^^^HOSP^MR', 'HASSAN^AMIRA', '19870214', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC2007^RIS', 3: 'FIL2007^RIS', 5: 'SC', 12: '5678^HOUSE^GREGORY^^^DR'}),
    ('TQ1', {1: '1', 7: '20261126141500', 9: 'R'}),
    ('OBR', {1: '1', 2: 'PLC2007^RIS', 3: 'FIL2007^RIS', 4: 'MRKNEE^MR knee left^LOCAL', 16: '5678^HOUSE^GREGORY^^^DR', 18: 'ACC2007', 19: 'RP2007', 20: 'SPS2007', 24: 'MR'}),
    ('ZDS', {1: '1.2.826.0.1.3680043.10.543.2007^100^Application^DICOM'})])
# -- empty MSH-10
samples['orm-empty-control-id.hl7'] = text([msh('', 'ORM^O01', '2.3.1'), pid('PAT2008^^^HOSP^MR', 'DUBOIS^CLAIRE', '19720909', 'F'), PV1,
    orc('NW', 2008), obr(2008, 'MGSCREEN^Screening mammography^LOCAL', 'MG')])
# -- modality implied by the procedure code or text only
samples['orm-modality-from-code.hl7'] = text([msh('MSG02009', 'ORM^O01', '2.3.1'), pid('PAT2009^^^HOSP^MR', 'ROSSI^MARCO', '19810303'), PV1,
    orc('NW', 2009), obr(2009, 'MRBRAIN^MR brain^LOCAL', '')])
samples['orm-modality-from-text.hl7'] = text([msh('MSG02010', 'ORM^O01', '2.4'), pid('PAT2010^^^HOSP^MR', 'TANAKA^YUKI', '19990612', 'F'), PV1,
    orc('NW', 2010), obr(2010, '73721^MRI knee without contrast^C4', 'RAD')])
# -- orders that are not imaging orders (a HIS that sends every order to every interface)
samples['orm-lab-order-ignored.hl7'] = text([msh('MSG02011', 'ORM^O01', '2.3', app='HIS', fac='HOSP'), pid('PAT2011^^^HOSP^MR', 'LARSEN^ERIK', '19700420'), PV1,
    orc('NW', 2011), obr(2011, '2345-7^Glucose [Mass/volume] in Serum or Plasma^LN', 'CH')])
# -- one ORC with two OBR (one order, two procedures; v2.2): one item per OBR, each with the ORC's numbers
samples['orm-v22-one-orc-two-obr.hl7'] = text([msh('MSG02015', 'ORM^O01', '2.2'), pid('PAT2015^^^HOSP^MR', 'EVANS^ROSE', '19450505', 'F'), PV1,
    ('ORC', {1: 'NW', 2: 'PLC2015^RIS', 3: 'FIL2015^RIS', 5: 'SC', 7: '^^^202611251000^^R'}),
    ('OBR', {1: '1', 2: 'PLC2015^RIS', 3: 'FIL2015^RIS', 4: 'XRCHEST^XR chest^LOCAL', 18: 'ACC2015A', 19: 'RP2015A', 20: 'SPS2015A', 24: 'CR'}),
    ('OBR', {1: '2', 2: 'PLC2015^RIS', 3: 'FIL2015^RIS', 4: 'XRHAND^XR hand left^LOCAL', 18: 'ACC2015B', 19: 'RP2015B', 20: 'SPS2015B', 24: 'CR'})])
# -- a per-sender profile (mappings/examples/strict-ris.yaml): STRICT_RIS gets no fallbacks beyond its fields
samples['orm-strict-sender-empty-control-id.hl7'] = text([msh('', 'ORM^O01', '2.3.1', app='STRICT_RIS', fac='NORTH'), pid('PAT2012^^^HOSP^MR', 'FISCHER^JONAS', '19840808'), PV1,
    orc('NW', 2012), obr(2012, 'CTHEAD^CT head without contrast^LOCAL', 'CT'), ('ZDS', {1: '1.2.826.0.1.3680043.10.543.2012^100^Application^DICOM'})])
samples['orm-strict-sender-no-station.hl7'] = text([msh('MSG02013', 'ORM^O01', '2.3.1', app='STRICT_RIS', fac='NORTH'), pid('PAT2013^^^HOSP^MR', 'WAGNER^EVA', '19910101', 'F'), PV1,
    orc('NW', 2013), obr(2013, 'USTHY^US thyroid^LOCAL', 'US'), ('ZDS', {1: '1.2.826.0.1.3680043.10.543.2013^100^Application^DICOM'})])
samples['orm-strict-sender-routed.hl7'] = text([msh('MSG02014', 'ORM^O01', '2.3.1', app='STRICT_RIS', fac='NORTH'), pid('PAT2014^^^HOSP^MR', 'SCHULZ^PAUL', '19770303'), PV1,
    orc('NW', 2014), obr(2014, 'USABD^US abdomen^LOCAL', 'US'), ('ZDS', {1: '1.2.826.0.1.3680043.10.543.2014^100^Application^DICOM'})])

for old in os.listdir(HERE):
    if old.endswith('.hl7'):
        os.remove(os.path.join(HERE, old))
for name, content in samples.items():
    data, encoding = (content if isinstance(content, tuple) else (content, 'utf-8'))
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data.encode(encoding))
print(f'wrote {len(samples)} samples')
