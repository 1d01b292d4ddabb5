/**
 * What the console shows beyond the management API's reads: an item's MPPS instances and its
 * mirror file, and the Status page's rates and disk figures. Given by app/console-services.ts.
 */

/** An MPPS instance that names an item, as the modality created and set it. */
export interface MppsEventView {
  sopInstanceUid: string;
  status: string;
  callingAeTitle: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An item's file in the mirror folder, and whether it holds what the store holds. */
export interface MirrorFileView {
  path: string;
  /** in-sync: the file is what the item encodes to; stale: it differs; missing: no file yet; off-worklist: no file expected (status not shown), none there. */
  state: 'in-sync' | 'stale' | 'missing' | 'off-worklist' | 'unexpected' | 'unwritable';
  detail: string;
  /** The file's bytes when there is one (for the download link). */
  bytes(): Buffer | undefined;
}

export interface StatusFigures {
  /** HL7 messages received in the last minute and per minute over the last 15 minutes. */
  messagesLastMinute: number;
  messagesPerMinute15: number;
  /** C-FIND queries (and DICOMweb searches) logged in the last minute, and per minute over the last 15 minutes. */
  queriesLastMinute: number;
  queriesPerMinute15: number;
  dbPath: string;
  /** The database with its write-ahead log, in bytes. */
  dbBytes: number;
  /** Free bytes on the database's volume (for the bridge's user), or undefined when it cannot be read. */
  freeBytes: number | undefined;
  uptimeSeconds: number;
}

export interface ConsoleServices {
  mppsOfItem(itemId: number): MppsEventView[];
  /** undefined without a mirror configured. */
  mirrorFileOf(itemId: number): MirrorFileView | undefined;
  figures(): StatusFigures;
}
