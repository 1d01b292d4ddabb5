import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkAssociateRequest, MIN_PEER_MAX_PDU_LENGTH, Reject } from '../../src/dicom/associate-request.js';
import { decideAssociation, SopClassUid, ContextResult } from '../../src/dicom/association-policy.js';
import { associateRequest, userItem, EXPLICIT_LE, IMPLICIT_LE, MWL_FIND, VERIFICATION, type ContextProposal } from '../helpers/dicom-wire.js';
import { seededRandom } from '../helpers/random.js';

const ctx = (id: number, abstractSyntax = MWL_FIND): ContextProposal => ({ id, abstractSyntax, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] });
const request = (contexts: ContextProposal[], extra: Partial<Parameters<typeof associateRequest>[0]> = {}) =>
  associateRequest({ called: 'MWL_BRIDGE', calling: 'CT1', contexts, ...extra });

describe('checkAssociateRequest (PS3.8 9.3.2)', () => {
  it('reads a well-formed request', () => {
    const check = checkAssociateRequest(request([ctx(1), ctx(3, VERIFICATION)], { maxPduLength: 32768 }));
    assert.ok(check.ok);
    assert.equal(check.request.calledAeTitle, 'MWL_BRIDGE');
    assert.equal(check.request.callingAeTitle, 'CT1');
    assert.equal(check.request.maxPduLength, 32768);
    assert.deepEqual(
      check.request.contexts.map((c) => [c.id, c.abstractSyntax]),
      [
        [1, MWL_FIND],
        [3, VERIFICATION],
      ],
    );
    assert.equal(check.request.implementationVersionName, 'WIRE_TEST');
  });

  it('refuses two presentation contexts with one ID, and even IDs', () => {
    const dup = checkAssociateRequest(request([ctx(255), ctx(255, VERIFICATION)]));
    assert.ok(!dup.ok);
    assert.deepEqual(dup.reject, Reject.noReason);
    assert.match(dup.why, /two presentation contexts carry ID 255/);
    const even = checkAssociateRequest(request([ctx(2)]));
    assert.ok(!even.ok && /ID 2 is not an odd number/.test(even.why));
    const zero = checkAssociateRequest(request([ctx(0)]));
    assert.ok(!zero.ok && /ID 0 is not an odd number/.test(zero.why));
  });

  it('accepts IDs in any order and hands the request on with its contexts sorted by ID', () => {
    const original = request([ctx(5, VERIFICATION), ctx(3), ctx(1)]);
    const check = checkAssociateRequest(original);
    assert.ok(check.ok);
    assert.notDeepEqual(check.canonical, original);
    assert.equal(check.canonical.length, original.length);
    assert.deepEqual(
      check.request.contexts.map((c) => c.id),
      [1, 3, 5],
    );
    // (test/unit/dimse-shim.test.ts shows dcmjs-dimse reading the sorted request with every ID kept.)
    const again = checkAssociateRequest(check.canonical);
    assert.ok(again.ok);
    assert.deepEqual(again.canonical, check.canonical, 'sorted is a fixed point');
  });

  it(`refuses a peer maximum PDU length below ${MIN_PEER_MAX_PDU_LENGTH}, but takes 0 (no limit)`, () => {
    for (const max of [1, 6, 7, 4095]) {
      const check = checkAssociateRequest(request([ctx(1)], { maxPduLength: max }));
      assert.ok(!check.ok && check.why.includes(`maximum PDU length ${max} is below`), String(max));
    }
    const unlimited = checkAssociateRequest(request([ctx(1)], { maxPduLength: 0 }));
    assert.ok(unlimited.ok && unlimited.request.maxPduLength === 0);
    assert.ok(checkAssociateRequest(request([ctx(1)], { maxPduLength: 4096 })).ok);
  });

  it('refuses another protocol version, a blank or control-character AE title, a missing context', () => {
    const version = checkAssociateRequest(request([ctx(1)], { protocolVersion: 2 }));
    assert.ok(!version.ok);
    assert.deepEqual(version.reject, Reject.protocolVersionNotSupported);
    const calling = checkAssociateRequest(associateRequest({ called: 'MWL', calling: 'CT\x1b1', contexts: [ctx(1)] }));
    assert.ok(!calling.ok);
    assert.deepEqual(calling.reject, Reject.callingAeNotRecognized);
    assert.match(calling.why, /CT\\x1b1/);
    const blank = checkAssociateRequest(associateRequest({ called: '   ', calling: 'CT1', contexts: [ctx(1)] }));
    assert.ok(!blank.ok);
    assert.deepEqual(blank.reject, Reject.calledAeNotRecognized);
    const none = checkAssociateRequest(request([]));
    assert.ok(!none.ok && /no presentation context/.test(none.why));
  });

  it('checks the user information sub-items dcmjs-dimse reads by their inner lengths', () => {
    const role = (uid: string, declared = uid.length) =>
      userItem(0x54, Buffer.concat([Buffer.from([declared >> 8, declared & 0xff]), Buffer.from(uid), Buffer.from([1, 0])]));
    assert.ok(checkAssociateRequest(request([ctx(1)], { userItems: [role(MWL_FIND)] })).ok);
    const badRole = checkAssociateRequest(request([ctx(1)], { userItems: [role(MWL_FIND, 20294)] }));
    assert.ok(!badRole.ok && /role selection sub-item/.test(badRole.why));
    const identity = (primary: number, secondary: number, declaredPrimary = primary) =>
      userItem(
        0x58,
        Buffer.concat([
          Buffer.from([1, 0, declaredPrimary >> 8, declaredPrimary & 0xff]),
          Buffer.alloc(primary, 0x41),
          Buffer.from([secondary >> 8, secondary & 0xff]),
          Buffer.alloc(secondary, 0x42),
        ]),
      );
    assert.ok(checkAssociateRequest(request([ctx(1)], { userItems: [identity(5, 3)] })).ok);
    const badIdentity = checkAssociateRequest(request([ctx(1)], { userItems: [identity(5, 3, 60)] }));
    assert.ok(!badIdentity.ok && /user identity sub-item/.test(badIdentity.why));
    const badAsync = checkAssociateRequest(request([ctx(1)], { userItems: [userItem(0x53, Buffer.alloc(3))] }));
    assert.ok(!badAsync.ok && /asynchronous operations sub-item of 3 bytes/.test(badAsync.why));
  });

  it('never throws on mutated requests: every one is read or refused with a reason', () => {
    const random = seededRandom(8);
    const base = request([ctx(1), ctx(3, VERIFICATION), ctx(5)]);
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(base);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) bytes[6 + Math.floor(random() * (bytes.length - 6))] = Math.floor(random() * 256);
      const check = checkAssociateRequest(bytes);
      if (!check.ok) {
        refused++;
        assert.ok(check.why.length > 0);
      } else {
        for (const c of check.request.contexts) assert.ok(c.id % 2 === 1 && c.id <= 255);
        assert.equal(new Set(check.request.contexts.map((c) => c.id)).size, check.request.contexts.length);
      }
    }
    assert.ok(refused > 0);
  });
});

describe('decideAssociation', () => {
  const policy = { aeTitle: 'MWL_BRIDGE', checkCalledAeTitle: true, allowedCallingAeTitles: [] as string[], maxAssociations: 2 };
  const supported = new Set([SopClassUid.Verification, SopClassUid.ModalityWorklistFind]);
  const read = (contexts: ContextProposal[], extra = {}) => {
    const check = checkAssociateRequest(request(contexts, extra));
    assert.ok(check.ok);
    return check.request;
  };

  it('accepts supported contexts with Explicit VR first, rejects the others one by one', () => {
    const decision = decideAssociation(
      read([ctx(1), ctx(3, '1.2.840.10008.5.1.4.1.2.2.1'), { id: 5, abstractSyntax: VERIFICATION, transferSyntaxes: ['1.2.840.10008.1.2.4.50'] }]),
      policy,
      { openAssociations: 0, supportedSopClasses: supported },
    );
    assert.ok(decision.accept);
    assert.deepEqual(
      decision.contexts.map((c) => [c.id, c.result, c.transferSyntax]),
      [
        [1, ContextResult.Acceptance, EXPLICIT_LE],
        [3, ContextResult.AbstractSyntaxNotSupported, undefined],
        [5, ContextResult.TransferSyntaxesNotSupported, undefined],
      ],
    );
  });

  it('rejects by called AE, calling AE allowlist and the association limit', () => {
    const r = read([ctx(1)]);
    const other = decideAssociation({ ...r, calledAeTitle: 'OTHER' }, policy, { openAssociations: 0, supportedSopClasses: supported });
    assert.ok(!other.accept && other.reject === Reject.calledAeNotRecognized);
    const stranger = decideAssociation(r, { ...policy, allowedCallingAeTitles: ['MR1'] }, { openAssociations: 0, supportedSopClasses: supported });
    assert.ok(!stranger.accept && stranger.reject === Reject.callingAeNotRecognized);
    const full = decideAssociation(r, policy, { openAssociations: 2, supportedSopClasses: supported });
    assert.ok(!full.accept && full.reject === Reject.localLimitExceeded);
    assert.match(full.why, /2 associations already open/);
  });
});
