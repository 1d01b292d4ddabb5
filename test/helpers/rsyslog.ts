/**
 * A real rsyslog (Debian's rsyslogd) for audit tests: listens on a local port, over TCP (octet-counted
 * or LF-framed syslog, imtcp), TLS (RFC 5425: imtcp with the gtls driver of rsyslog-gnutls) or UDP
 * (RFC 5426, imudp), and writes each message's raw text, one a line, to a file the test reads.
 * Config file written here; rsyslogd -f CONF -i PIDFILE -n. Stop and start again on the same port to
 * play a receiver that goes down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './peers.js';

export interface RsyslogOptions {
  transport?: 'tcp' | 'tls' | 'udp';
  /** tls: the receiver's certificate, key and the CA; with clientCertificates, senders must present one the CA signed. */
  tls?: { caFile: string; certFile: string; keyFile: string; clientCertificates: boolean };
}

/** Why the TLS receiver cannot run here (rsyslog's gtls network driver, Debian package rsyslog-gnutls, missing), or false. */
export function skipWithoutRsyslogTls(): string | false {
  const roots = ['/usr/lib', '/usr/lib64'];
  for (const root of roots) {
    const candidates = [join(root, 'rsyslog'), ...(existsSync(root) ? readdirSync(root).map((d) => join(root, d, 'rsyslog')) : [])];
    if (candidates.some((dir) => existsSync(join(dir, 'lmnsd_gtls.so')))) return false;
  }
  return "needs rsyslog's gtls driver (Debian: apt-get install rsyslog-gnutls)";
}

/** The rsyslog configuration lines of the input. */
function inputConfig(port: number, opts: RsyslogOptions): string[] {
  if (opts.transport === 'udp') return ['module(load="imudp")', `input(type="imudp" address="127.0.0.1" port="${port}")`];
  if (opts.transport === 'tls') {
    const tls = opts.tls;
    if (!tls) throw new Error('a TLS receiver needs its certificates');
    return [
      `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${tls.caFile}" DefaultNetstreamDriverCertFile="${tls.certFile}" DefaultNetstreamDriverKeyFile="${tls.keyFile}")`,
      `module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="${tls.clientCertificates ? 'x509/certvalid' : 'anon'}")`,
      `input(type="imtcp" address="127.0.0.1" port="${port}")`,
    ];
  }
  return ['module(load="imtcp")', `input(type="imtcp" address="127.0.0.1" port="${port}")`];
}

export interface Rsyslog {
  port: number;
  outFile: string;
  /** The messages received so far, one per line. */
  lines(): string[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startRsyslog(dir: string, opts: RsyslogOptions = {}): Promise<Rsyslog> {
  const outFile = join(dir, 'audit.log');
  const conf = join(dir, 'rsyslog.conf');
  const pidFile = join(dir, 'rsyslog.pid');
  let child: ChildProcess | undefined;
  let output = '';
  let port = 0;

  const launch = async (): Promise<boolean> => {
    writeFileSync(
      conf,
      [
        `global(workDirectory="${dir}" maxMessageSize="64k")`,
        ...inputConfig(port, opts),
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `action(type="omfile" file="${outFile}" template="raw")`,
        '',
      ].join('\n'),
    );
    output = '';
    const proc = spawn('rsyslogd', ['-f', conf, '-i', pidFile, '-n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 10000;
    if (opts.transport === 'udp') return udpReady(proc, port, outFile, deadline);
    // Listening once a connection is accepted.
    const { connect } = await import('node:net');
    while (Date.now() < deadline && proc.exitCode === null) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => {
          resolve(false);
        });
      });
      if (ok) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.kill('SIGKILL');
    return false;
  };

  const handle: Rsyslog = {
    get port() {
      return port;
    },
    outFile,
    lines: () => (existsSync(outFile) ? readFileSync(outFile, 'utf8').split('\n').filter(Boolean) : []),
    async stop() {
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) =>
        proc.once('exit', () => {
          resolve();
        }),
      );
      proc.kill('SIGTERM');
      await exited;
    },
    async start() {
      for (let attempt = 0; attempt < 20; attempt++) {
        if (await launch()) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`rsyslogd did not listen on ${port}: ${output}`);
    },
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    if (await launch()) return handle;
  }
  throw new Error(`rsyslogd did not start: ${output}`);
}

export { waitFor };

/** A UDP receiver is ready once a probe datagram sent to it shows in its file (sent again until then). */
async function udpReady(proc: ChildProcess, port: number, outFile: string, deadline: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    while (Date.now() < deadline && proc.exitCode === null) {
      socket.send(Buffer.from('<13>1 - - rsyslog-probe - - - ready'), port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (existsSync(outFile) && readFileSync(outFile, 'utf8').includes('rsyslog-probe')) return true;
    }
    proc.kill('SIGKILL');
    return false;
  } finally {
    socket.close();
  }
}

/** The received messages of one audit event ID (CID 400 code), in order. */
export function auditEvents(lines: string[], code: string): string[] {
  return lines.filter((l) => l.includes(`<EventID csd-code="${code}"`));
}

/** RFC 5424 as the bridge sends it: facility authpriv, severity notice, MSGID DICOM+RFC3881, no structured data, the XML. */
export const RFC5424_AUDIT = /^<85>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ mwl-bridge \d+ DICOM\+RFC3881 - (<\?xml .*<\/AuditMessage>)$/;

/**
 * Checks one received line against the structure DICOM PS3.15 A.5.1 requires: an RFC 5424 message
 * whose AuditMessage holds, in order, one EventIdentification (action, time, outcome, an EventID
 * code), one or more ActiveParticipants (UserID, UserIsRequestor), one AuditSourceIdentification
 * and any ParticipantObjectIdentifications, each coded element with code, system and text.
 */
export function assertAuditMessage(line: string): void {
  const xml = RFC5424_AUDIT.exec(line)?.[1];
  if (!xml) throw new Error(`not an RFC 5424 audit message: ${line.slice(0, 200)}`);
  const top = [...xml.matchAll(/<(EventIdentification|ActiveParticipant|AuditSourceIdentification|ParticipantObjectIdentification)[ >]/g)].map((m) => m[1]);
  const order = top.join(',');
  if (!/^EventIdentification(,ActiveParticipant)+,AuditSourceIdentification(,ParticipantObjectIdentification)*$/.test(order)) {
    throw new Error(`AuditMessage elements out of the A.5 order: ${order}`);
  }
  const checks: Array<[RegExp, string]> = [
    [/<EventIdentification EventActionIndicator="[CRUDE]" EventDateTime="\d{4}-\d\d-\d\dT[^"]+" EventOutcomeIndicator="(0|4|8|12)">/, 'EventIdentification'],
    [/<EventID csd-code="\d+" codeSystemName="DCM" originalText="[^"]+"\/>/, 'EventID'],
    [/<ActiveParticipant UserID="[^"]+"[^>]* UserIsRequestor="(true|false)"/, 'ActiveParticipant'],
    [
      /<AuditSourceIdentification AuditSourceID="[^"]+"><AuditSourceTypeCode csd-code="\d+" codeSystemName="DCM" originalText="[^"]+"\/><\/AuditSourceIdentification>/,
      'AuditSourceIdentification',
    ],
  ];
  for (const [pattern, what] of checks) if (!pattern.test(xml)) throw new Error(`${what} missing or malformed in ${xml.slice(0, 400)}`);
  for (const coded of xml.matchAll(/<(\w+) csd-code="[^"]*"[^>]*\/>/g)) {
    if (!/ csd-code="[^"]+" codeSystemName="[^"]+" originalText="[^"]+"/.test(coded[0]))
      throw new Error(`coded element without code, system or text: ${coded[0]}`);
  }
}
