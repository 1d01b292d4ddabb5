/**
 * The attributes DICOM PS3.4 Table K.6-1 makes type 1 (a value is required) in Modality Worklist
 * answers. A mapped item that lacks one is either filled from the mapping's default or rejected.
 */
import { Tags, elementStrings, sequenceItems, type DicomJson } from './item.js';

export interface Type1Attribute {
  keyword: string;
  tag: string;
  /** Inside the Scheduled Procedure Step Sequence item rather than at the top level. */
  inStep: boolean;
}

export const TYPE1_ATTRIBUTES: readonly Type1Attribute[] = [
  { keyword: 'PatientName', tag: Tags.PatientName, inStep: false },
  { keyword: 'PatientID', tag: Tags.PatientID, inStep: false },
  { keyword: 'StudyInstanceUID', tag: Tags.StudyInstanceUID, inStep: false },
  { keyword: 'RequestedProcedureID', tag: Tags.RequestedProcedureID, inStep: false },
  { keyword: 'ScheduledStationAETitle', tag: Tags.ScheduledStationAETitle, inStep: true },
  { keyword: 'ScheduledProcedureStepStartDate', tag: Tags.ScheduledProcedureStepStartDate, inStep: true },
  { keyword: 'ScheduledProcedureStepStartTime', tag: Tags.ScheduledProcedureStepStartTime, inStep: true },
  { keyword: 'Modality', tag: Tags.Modality, inStep: true },
  { keyword: 'ScheduledProcedureStepID', tag: Tags.ScheduledProcedureStepID, inStep: true },
];

/** The type-1 attributes an item has no value for ("ScheduledProcedureStepSequence" when it has no step). */
export function missingType1(item: DicomJson): Type1Attribute[] {
  const steps = sequenceItems(item, Tags.ScheduledProcedureStepSequence);
  return TYPE1_ATTRIBUTES.filter((a) => {
    if (!a.inStep) return elementStrings(item[a.tag]).every((v) => v.trim() === '');
    return steps.length === 0 || steps.some((step) => elementStrings(step[a.tag]).every((v) => v.trim() === ''));
  });
}
