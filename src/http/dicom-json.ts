/**
 * Answers written in the DICOM JSON model as PS3.18 F.2 has them: an attribute without a value has
 * no "Value" member (F.2.5), in sequence items too. The store's data sets keep empty arrays.
 */
import type { DicomJson, DicomJsonElement } from '../model/item.js';

export function dicomJsonAnswer(dataset: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const tag of Object.keys(dataset).sort()) {
    const element = dataset[tag];
    if (element) out[tag] = dicomJsonElement(element);
  }
  return out;
}

function dicomJsonElement(element: DicomJsonElement): DicomJsonElement {
  const values = element.Value;
  if (!values || values.length === 0) return { vr: element.vr };
  if (element.vr !== 'SQ') return { vr: element.vr, Value: values };
  return { vr: 'SQ', Value: values.map((item) => (item && typeof item === 'object' ? dicomJsonAnswer(item as DicomJson) : item)) };
}
