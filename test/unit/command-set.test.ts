import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import { encodeCommandSet } from '../../src/dicom/answer-dataset.js';
import { seededRandom } from '../helpers/random.js';

const { CFindRequest } = dimse.requests;
const { CFindResponse } = dimse.responses;
const { Status } = dimse.constants;

describe('encodeCommandSet', () => {
  it("writes the same bytes as dcmjs-dimse's own command set encoder", () => {
    const request = CFindRequest.createWorklistFindRequest({ PatientID: 'P1' });
    request.setMessageId(4711);
    const cases: [string, (r: InstanceType<typeof CFindResponse>) => void][] = [
      [
        'pending',
        (r) => {
          r.setStatus(Status.Pending);
        },
      ],
      [
        'success',
        (r) => {
          r.setStatus(Status.Success);
        },
      ],
      [
        'cancel',
        (r) => {
          r.setStatus(Status.Cancel);
        },
      ],
      [
        'failure with comment',
        (r) => {
          r.setStatus(0xc001);
          r.setErrorComment('the C-FIND request carries no identifier');
        },
      ],
      [
        'failure with odd-length comment',
        (r) => {
          r.setStatus(0xc001);
          r.setErrorComment('odd');
        },
      ],
    ];
    for (const [name, prepare] of cases) {
      const response = CFindResponse.fromRequest(request);
      prepare(response);
      const command = response.getCommandDataset();
      const expected = command.getDenaturalizedCommandDataset();
      assert.deepEqual(encodeCommandSet(command), expected, name);
      // And again, now from the element cache.
      assert.deepEqual(encodeCommandSet(command), expected, `${name} (cached)`);
    }
  });

  it("writes random responses' command sets as dcmjs-dimse does", () => {
    const random = seededRandom(77);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const comments = ['odd', 'even', 'the C-FIND request carries no identifier', 'a\\b', 'Müller', ' spaced ', 'x'.repeat(64)];
    const uids = ['1.2.840.10008.5.1.4.31', '1.2.3', '1.22', '1.2.x', ''];
    for (let i = 0; i < 500; i++) {
      const request = CFindRequest.createWorklistFindRequest({ PatientID: 'P1' });
      request.setMessageId(Math.floor(random() * 65536));
      const response = CFindResponse.fromRequest(request);
      response.setStatus(pick([Status.Pending, Status.Success, Status.Cancel, 0xc001, 0xa900]));
      if (random() < 0.5) response.setAffectedSopClassUid(pick(uids));
      if (random() < 0.3) response.setErrorComment(pick(comments));
      const command = response.getCommandDataset();
      let expected: Buffer;
      try {
        expected = command.getDenaturalizedCommandDataset();
      } catch {
        continue; // a value dcmjs will not write
      }
      assert.deepEqual(encodeCommandSet(command), expected, JSON.stringify(command.getElements()));
    }
  });
});
