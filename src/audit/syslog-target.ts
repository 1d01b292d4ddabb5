/** audit.syslog parsed: tls://host:port (RFC 5425), tcp://host:port (RFC 6587 octet counting) or udp://host:port (RFC 5426). */
export interface SyslogTarget {
  transport: 'tls' | 'tcp' | 'udp';
  host: string;
  port: number;
}

export function parseSyslogTarget(text: string): SyslogTarget | undefined {
  const m = /^(tls|tcp|udp):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m?.[1] || !m[2] || !(port > 0 && port <= 65535)) return undefined;
  return { transport: m[1] as SyslogTarget['transport'], host: m[2].replace(/^\[|\]$/g, ''), port };
}

/** One RFC 5424 message: facility authpriv (10), severity notice (5), MSGID as DICOM PS3.15 A.5.1 asks. */
export function syslogMessage(xml: string, opts: { hostname: string; time?: Date }): string {
  const time = (opts.time ?? new Date()).toISOString();
  return `<85>1 ${time} ${opts.hostname} mwl-bridge ${process.pid} DICOM+RFC3881 - ${xml}`;
}

/** RFC 6587 / RFC 5425 octet-counting frame: "LEN SP MSG". */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
