// Minimal typings for the parts of dcmjs (0.50) the bridge uses; dcmjs ships none.
declare module 'dcmjs' {
  export interface DicomJsonElement {
    vr: string;
    Value?: unknown[] | null;
    InlineBinary?: string;
    _rawValue?: unknown;
  }
  export type DicomJsonDataset = Record<string, DicomJsonElement>;
  interface DictionaryEntry {
    tag: string;
    vr: string;
    vm: string;
    name: string;
    version?: string;
  }
  interface WriteBufferStream {
    getBuffer(): ArrayBuffer;
  }
  interface DicomDict {
    meta: DicomJsonDataset;
    dict: DicomJsonDataset;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict;
        write(dataset: DicomJsonDataset, stream: WriteBufferStream, transferSyntaxUid: string, options: Record<string, unknown>): void;
      };
      WriteBufferStream: {
        new (defaultSize?: number): WriteBufferStream;
        // Functions of the stream they are called on (not bound methods): model/encoding.ts swaps one for the other on the prototype.
        prototype: { writeUTF8String: (this: WriteBufferStream, v: string) => number; writeAsciiString: (this: WriteBufferStream, v: string) => number };
      };
      DicomDict: new (meta: DicomJsonDataset) => DicomDict;
      DicomMetaDictionary: {
        dictionary: Record<string, DictionaryEntry>;
        nameMap: Record<string, DictionaryEntry>;
        naturalizeDataset(dataset: DicomJsonDataset): Record<string, unknown>;
        denaturalizeDataset(dataset: Record<string, unknown>): DicomJsonDataset;
        uid(): string;
      };
    };
    log: { setLevel(level: string): void; getLogger?(name: string): { setLevel(level: string): void } };
  };
  export default dcmjs;
}

declare module 'hl7-standard' {
  interface Hl7StandardSegment {
    type: string;
    index: number;
    data: Record<string, unknown>;
  }
  class HL7 {
    constructor(data?: string, opts?: { lineEndings?: string; subComponents?: string; repeatingFields?: string });
    transformed: Record<string, Hl7StandardSegment[]>;
    transform(cb?: (err: Error | null) => void): void;
    getSegments(name?: string): Hl7StandardSegment[];
  }
  export default HL7;
}
