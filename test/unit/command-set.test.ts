import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import { encodeCommandSet } from '../../src/dicom/answer-dataset.js';

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
});
