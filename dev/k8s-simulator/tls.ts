// A throw-away self-signed certificate for 127.0.0.1, made with the openssl CLI: kubectl sends
// a bearer token only over TLS, so the simulator serves HTTPS and hands out its CA (the
// certificate itself) as an AKS kubeconfig's certificate-authority-data would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ServerTls {
  cert: string;
  key: string;
  /** PEM the client trusts (the self-signed certificate). */
  ca: string;
}

export function makeServerTls(): ServerTls {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8s-sim-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=k8s-simulator',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyCertSign',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    const certPem = readFileSync(cert, 'utf8');
    return { cert: certPem, key: readFileSync(key, 'utf8'), ca: certPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
