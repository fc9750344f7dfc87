// sohoa hub: the reference receiving end of `sohoa upload` (issue 16). A tus 1.0.0 server
// (@tus/server + @tus/file-store) that keeps each package volume under a deterministic upload ID,
// checks its SHA-256 when it is complete, runs `sohoa receive` on a package once all of its volumes
// are there, and serves the signed receipts that receive writes. README.md says how to run it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server, EVENTS } from '@tus/server';

// ---- configuration ------------------------------------------------------------------------------

function fatal(msg) {
  console.error(`sohoa-hub: ${msg}`);
  process.exit(2);
}

// The INI dialect of sohoa.ini: `[section]`, `key = value`, `#` (or `;`) comment lines.
export function parseIni(text) {
  const out = {};
  let section = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim();
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (section === null || eq < 0) continue;
    out[section][line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

const PORT = Number.parseInt(process.env.PORT ?? '1080', 10);
const HOST = process.env.HOST || '127.0.0.1';
const SOHOA = process.env.SOHOA || 'sohoa';
const WS = process.env.SOHOA_HUB_WORKSPACE;
const EXPIRY_S = Number.parseInt(process.env.SOHOA_HUB_EXPIRY_SECONDS ?? `${7 * 24 * 3600}`, 10);
const MAX_SIZE = Number.parseInt(process.env.SOHOA_HUB_MAX_SIZE ?? `${16 * 1024 ** 3}`, 10);
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fatal(`PORT ${process.env.PORT} is not a port`);
if (!WS) fatal('set SOHOA_HUB_WORKSPACE to a workspace made by `sohoa init`');

// HTTPS when a certificate and its key are given; with a client CA, mutual TLS as well.
const TLS_CERT = process.env.SOHOA_HUB_TLS_CERT || '';
const TLS_KEY = process.env.SOHOA_HUB_TLS_KEY || '';
const CLIENT_CA = process.env.SOHOA_HUB_CLIENT_CA || '';
if (Boolean(TLS_CERT) !== Boolean(TLS_KEY)) fatal('set both SOHOA_HUB_TLS_CERT and SOHOA_HUB_TLS_KEY (PEM files), or neither');
if (CLIENT_CA && !TLS_CERT) fatal('SOHOA_HUB_CLIENT_CA (mutual TLS) needs HTTPS: set SOHOA_HUB_TLS_CERT and SOHOA_HUB_TLS_KEY too');
const readPem = (name, file) => {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    return fatal(`cannot read ${name} ${file}: ${e.code ?? e.message}`);
  }
};
const TLS = TLS_CERT
  ? {
      cert: readPem('SOHOA_HUB_TLS_CERT', TLS_CERT),
      key: readPem('SOHOA_HUB_TLS_KEY', TLS_KEY),
      // Verified by hand in route(): a client without a good certificate gets a 403 that says
      // why, not a handshake failure its user cannot read.
      ...(CLIENT_CA ? { ca: readPem('SOHOA_HUB_CLIENT_CA', CLIENT_CA), requestCert: true, rejectUnauthorized: false } : {}),
    }
  : null;
const SCHEME = TLS ? 'https' : 'http';
const BEHIND_PROXY = process.env.SOHOA_HUB_BEHIND_PROXY === '1';
const root = path.resolve(WS);
let ini;
try {
  ini = parseIni(fs.readFileSync(path.join(root, 'sohoa.ini'), 'utf8'));
} catch (e) {
  fatal(`${root} is not a sohoa workspace (no readable sohoa.ini: ${e.code ?? e.message})`);
}
const rc = ini.receive ?? {};
const wsPath = (v) => (v ? path.resolve(root, v) : '');
const conf = {
  pkcs12: wsPath(rc.pkcs12),
  pinEnv: rc.pin_env ?? '',
  pinFile: wsPath(rc.pin_file),
  trust: wsPath(rc.trust),
  into: wsPath(rc.into),
};
for (const k of ['pkcs12', 'trust', 'into']) {
  if (!conf[k]) fatal(`sohoa.ini [receive] has no ${k} (see hub/README.md)`);
}
if (!conf.pinEnv && !conf.pinFile) fatal('sohoa.ini [receive] needs pin_env or pin_file');
if (conf.pinEnv && process.env[conf.pinEnv] === undefined) {
  fatal(`[receive] pin_env names ${conf.pinEnv}, which is not set in the environment`);
}

const HUB = path.join(root, 'hub');
const UPLOADS = path.join(HUB, 'uploads');
const STAGING = path.join(HUB, 'staging');
const STATE = path.join(HUB, 'state');
const RECEIPTS = path.join(conf.into, 'receipts');
for (const d of [UPLOADS, STAGING, STATE, conf.into]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });

// Log lines carry IDs, volume numbers, digests and finding codes: never a PIN, a person's name
// or a file path inside a package.
const log = (...a) => console.log(new Date().toISOString(), ...a);

// ---- metadata -----------------------------------------------------------------------------------

const RE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const RE_ORG = /^\d{2}(\.\d{3}){4}$/;
const RE_SHA = /^[0-9a-f]{64}$/;
const RE_NUM = /^[1-9]\d{0,2}$/;

class HttpError extends Error {
  constructor(status, body, headers = {}) {
    super(body);
    this.status_code = status;
    this.body = `${body}\n`;
    this.headers = headers;
  }
}

// Upload-Metadata: `key base64,key base64`; a key without value is allowed by tus.
function parseMetadata(header) {
  const md = {};
  if (!header) return md;
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || Object.hasOwn(md, key)) {
      throw new HttpError(400, 'Upload-Metadata is malformed');
    }
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw new HttpError(400, `Upload-Metadata ${key}: not base64`);
    }
    md[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return md;
}

// The volume described by the metadata, or a 400 that says what is wrong.
function volumeOf(md) {
  const bad = (what) => {
    throw new HttpError(400, `Upload-Metadata: ${what}`);
  };
  if (!RE_ID.test(md.package ?? '')) bad('package must be a package ID (26 characters of Crockford base 32)');
  if (!RE_NUM.test(md.volume ?? '') || !RE_NUM.test(md.volumes ?? '')) {
    bad('volume and volumes must be integers 1 ≤ volume ≤ volumes ≤ 999');
  }
  const k = Number(md.volume);
  const n = Number(md.volumes);
  if (k > n) bad('volume must not exceed volumes');
  if (!RE_ORG.test(md.org ?? '')) bad('org must be an organisation code NN.NNN.NNN.NNN.NNN');
  if (!RE_SHA.test(md.sha256 ?? '')) bad('sha256 must be 64 lower-case hexadecimal digits');
  const want = n === 1 ? `${md.package}.zip.p7m` : `${md.package}.part${k}-of-${n}.zip.p7m`;
  if (md.filename !== want) bad(`filename must be ${want}`);
  return { id: `${md.package}.${k}`, pkg: md.package, k, n, org: md.org, sha256: md.sha256, filename: want };
}

// ---- the tus server -----------------------------------------------------------------------------

const store = new FileStore({ directory: UPLOADS, expirationPeriodInMilliseconds: EXPIRY_S * 1000 });

const tus = new Server({
  path: '/files',
  datastore: store,
  maxSize: MAX_SIZE,
  respectForwardedHeaders: BEHIND_PROXY,
  disableTerminationForFinishedUploads: true,
  namingFunction: (_req, metadata) => volumeOf(metadata ?? {}).id,
  // @tus/server says http unless a trusted proxy's header says otherwise: served over HTTPS
  // here, the upload URLs must say https.
  generateUrl: (req, { proto, host, path: base, id }) => {
    const fwd = req.headers.get('forwarded') ?? '';
    const told = BEHIND_PROXY && (/proto=https?/i.test(fwd) || ['http', 'https'].includes(req.headers.get('x-forwarded-proto')));
    return `${told ? proto : SCHEME}://${host}${base}/${id}`;
  },
  onUploadFinish: async (_req, upload) => {
    await volumeFinished(upload);
    return {};
  },
  onResponseError: (_req, err) => {
    if (!(err instanceof HttpError) && !err.status_code) log('error', err.message ?? err);
    return undefined;
  },
});

// Reading an upload's info; null when there is none.
async function infoOf(id) {
  try {
    return JSON.parse(await fsp.readFile(path.join(UPLOADS, `${id}.json`), 'utf8'));
  } catch {
    return null;
  }
}
async function bytesOf(id) {
  try {
    return (await fsp.stat(path.join(UPLOADS, id))).size;
  } catch {
    return -1;
  }
}
const expired = (info) =>
  EXPIRY_S > 0 && info.creation_date && Date.now() > Date.parse(info.creation_date) + EXPIRY_S * 1000;

async function sha256File(file) {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

async function writeState(pkg, state) {
  const f = path.join(STATE, `${pkg}.json`);
  await fsp.writeFile(`${f}.tmp`, `${JSON.stringify({ package: pkg, ...state, at: new Date().toISOString() })}\n`, { mode: 0o600 });
  await fsp.rename(`${f}.tmp`, f);
}

// A volume has all its bytes: its digest must be the one announced, then maybe the package is whole.
async function volumeFinished(upload) {
  const v = volumeOf(upload.metadata ?? {});
  const file = path.join(UPLOADS, v.id);
  const got = await sha256File(file);
  if (got !== v.sha256) {
    log(`volume ${v.id} REJECTED: digest mismatch (announced ${v.sha256}, received ${got}); upload removed`);
    await store.remove(v.id).catch(() => {});
    await writeState(v.pkg, { stage: 'rejected', volume: v.k, error: 'digest mismatch', sha256: got });
    throw new HttpError(460, `digest mismatch: the volume received has SHA-256 ${got}, not ${v.sha256}; upload it again`);
  }
  log(`volume ${v.id} received (${v.k} of ${v.n}, ${upload.size} bytes, sha256 ${got})`);
  await maybeReceive(v.pkg, v.n);
}

// All volumes 1..n of pkg complete? Then queue it for `sohoa receive`.
async function maybeReceive(pkg, n) {
  const vols = [];
  for (let k = 1; k <= n; k++) {
    const info = await infoOf(`${pkg}.${k}`);
    if (!info || (await bytesOf(`${pkg}.${k}`)) !== info.size) return false;
    vols.push({ id: `${pkg}.${k}`, filename: info.metadata.filename });
  }
  if (queued.has(pkg)) return true;
  queued.add(pkg);
  await writeState(pkg, { stage: 'received', volumes: n });
  queue = queue.then(() => receive(pkg, vols)).catch((e) => log(`receive ${pkg}: ${e.message}`)).finally(() => queued.delete(pkg));
  return true;
}

// ---- sohoa receive, one package at a time -------------------------------------------------------

let queue = Promise.resolve();
const queued = new Set();

function run(file, args, opts) {
  return new Promise((resolve) => {
    execFile(file, args, opts, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr, spawnError: err && typeof err.code !== 'number' ? err.code : null });
    });
  });
}

async function receive(pkg, vols) {
  if (fs.existsSync(path.join(RECEIPTS, `${pkg}.json`))) return; // received before (a restart)
  // receive names the volumes in the receipt by file name: give it the names they were sent with.
  const dir = await fsp.mkdtemp(path.join(STAGING, `${pkg}-`));
  try {
    const files = [];
    for (const v of vols) {
      const f = path.join(dir, v.filename);
      await fsp.link(path.join(UPLOADS, v.id), f);
      files.push(f);
    }
    const args = ['receive', ...files, '--pkcs12', conf.pkcs12];
    if (conf.pinEnv) args.push('--pin-env', conf.pinEnv);
    else args.push('--pin-file', conf.pinFile);
    args.push('--trust', conf.trust, '--into', conf.into, '--json');
    log(`receive ${pkg}: ${vols.length} volume(s)`);
    const r = await run(SOHOA, args, { cwd: root, maxBuffer: 64 * 1024 * 1024, env: process.env });
    if (r.spawnError) {
      log(`receive ${pkg}: cannot run ${SOHOA}: ${r.spawnError}`);
      await writeState(pkg, { stage: 'error', error: `cannot run sohoa (${r.spawnError})` });
      return;
    }
    let doc = null;
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      /* reported below */
    }
    const p = doc?.packages?.find((x) => x.id === pkg) ?? doc?.packages?.[0];
    const codes = [...new Set((p?.findings ?? []).filter((f) => f.severity === 'error').map((f) => f.code))];
    const receipt = fs.existsSync(path.join(RECEIPTS, `${pkg}.json`));
    log(`receive ${pkg}: exit ${r.code}, verdict ${p?.verdict ?? 'unknown'}${codes.length ? `, findings ${codes.join(' ')}` : ''}, receipt ${receipt ? 'written' : 'none'}`);
    await writeState(pkg, {
      stage: receipt ? (p?.verdict === 'accepted' ? 'accepted' : 'rejected') : 'error',
      exit: r.code,
      verdict: p?.verdict ?? null,
      findings: codes,
      ...(receipt ? {} : { error: `sohoa receive exited ${r.code} without a receipt` }),
    });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

// ---- creation: one upload per package volume ----------------------------------------------------

const creating = new Set(); // IDs whose creation is in flight

// Absolute URLs as @tus/server makes them: the Host header, or the proxy's when it is trusted.
function baseUrl(req) {
  const proxied = BEHIND_PROXY;
  const proto = (proxied && req.headers['x-forwarded-proto']?.split(',')[0].trim()) || SCHEME;
  const host = (proxied && req.headers['x-forwarded-host']?.split(',')[0].trim()) || req.headers.host || `${HOST}:${PORT}`;
  return `${proto}://${host}`;
}
const uploadUrl = (req, id) => `${baseUrl(req)}/files/${id}`;

// A POST for a volume the hub holds already: never handed to tus, which would empty the file.
// Returns true when it answered.
async function answerHeld(req, res, v) {
  const receipt = path.join(RECEIPTS, `${v.pkg}.json`);
  if (fs.existsSync(receipt) && fs.existsSync(`${receipt}.p7s`)) {
    const body = await fsp.readFile(receipt);
    res.writeHead(303, {
      'Tus-Resumable': '1.0.0',
      Location: `${baseUrl(req)}/receipts/${v.pkg}`,
      'Content-Type': 'application/json',
      'Content-Length': body.length,
    });
    res.end(body);
    return true;
  }
  const info = await infoOf(v.id);
  if (!info) return false;
  const offset = await bytesOf(v.id);
  if (offset < 0) return false;
  if (offset < info.size && expired(info)) {
    await store.remove(v.id).catch(() => {}); // an expired partial upload: start anew
    return false;
  }
  const body = `volume ${v.k} of package ${v.pkg} is held already (${offset} of ${info.size} bytes): resume it at Location\n`;
  res.writeHead(409, {
    'Tus-Resumable': '1.0.0',
    Location: uploadUrl(req, v.id),
    'Upload-Offset': String(offset),
    'Upload-Length': String(info.size),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
  return true;
}

async function createUpload(req, res) {
  let v;
  try {
    v = volumeOf(parseMetadata(req.headers['upload-metadata']));
    if (req.headers['upload-defer-length'] !== undefined) throw new HttpError(400, 'Upload-Length is required');
  } catch (e) {
    return sendText(res, e.status_code ?? 400, e.body ?? 'bad request\n', { 'Tus-Resumable': '1.0.0' });
  }
  if (creating.has(v.id)) {
    return sendText(res, 409, `volume ${v.k} of package ${v.pkg} is being created by another request\n`, {
      'Tus-Resumable': '1.0.0',
      Location: uploadUrl(req, v.id),
    });
  }
  creating.add(v.id);
  try {
    if (await answerHeld(req, res, v)) return;
    await tus.handle(req, res);
  } finally {
    creating.delete(v.id);
  }
}

// ---- HTTP ---------------------------------------------------------------------------------------

function sendText(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

async function sendReceipt(res, name) {
  const m = /^([0-9A-HJKMNP-TV-Z]{26})(\.json)?(\.p7s)?$/.exec(name);
  if (!m) return sendText(res, 404, 'no such receipt\n');
  const sig = Boolean(m[3]);
  const file = path.join(RECEIPTS, `${m[1]}.json${sig ? '.p7s' : ''}`);
  let body;
  try {
    // both halves present: receive writes the signature first, then the JSON
    body = await fsp.readFile(file);
    if (!fs.existsSync(path.join(RECEIPTS, `${m[1]}.json`))) throw new Error('half');
  } catch {
    return sendText(res, 404, `no receipt for ${m[1]} yet\n`);
  }
  res.writeHead(200, {
    'Content-Type': sig ? 'application/pkcs7-signature' : 'application/json',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

// Mutual TLS: every request, also /healthz and /receipts/, needs a client certificate that
// chains to SOHOA_HUB_CLIENT_CA. Returns true when it answered (refused).
function refuseClient(req, res) {
  if (!CLIENT_CA || req.socket.authorized) return false;
  const why = req.socket.getPeerCertificate && Object.keys(req.socket.getPeerCertificate()).length
    ? `the client certificate was not accepted (${req.socket.authorizationError})`
    : 'no client certificate was sent';
  log(`refused ${req.method} ${req.url.split('?')[0]} from ${req.socket.remoteAddress}: ${why}`);
  sendText(res, 403, `${why}: this receiver requires a client certificate issued by its stations' CA (mutual TLS); set client_cert and client_key in the [upload] section of sohoa.ini\n`, { Connection: 'close' });
  return true;
}

async function route(req, res) {
  if (refuseClient(req, res)) return;
  const url = new URL(req.url, 'http://hub');
  const p = url.pathname;
  if (p === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return sendText(res, 200, 'ok\n');
  if (p.startsWith('/receipts/') && (req.method === 'GET' || req.method === 'HEAD')) {
    return sendReceipt(res, p.slice('/receipts/'.length));
  }
  if (p === '/files' || p === '/files/' || p.startsWith('/files/')) {
    if (req.method === 'GET') return sendText(res, 405, 'uploads are not served\n', { Allow: 'HEAD, PATCH, DELETE, OPTIONS' });
    if (req.method === 'POST' && (p === '/files' || p === '/files/') && req.headers['tus-resumable']) {
      return createUpload(req, res);
    }
    return tus.handle(req, res);
  }
  return sendText(res, 404, 'not found\n');
}

// ---- expiry and restart -------------------------------------------------------------------------

// Partial uploads past their expiry are removed; complete ones stay (the receipts name them).
// (FileStore.deleteExpired would remove complete uploads too.)
async function sweep() {
  for (const f of await fsp.readdir(UPLOADS)) {
    if (!f.endsWith('.json')) continue;
    const id = f.slice(0, -5);
    const info = await infoOf(id);
    if (info && expired(info) && (await bytesOf(id)) < info.size && !creating.has(id)) {
      await store.remove(id).catch(() => {});
      log(`upload ${id} expired: removed`);
    }
  }
}

// Packages whose volumes all arrived before a restart, and that have no receipt: receive them now.
async function resume() {
  const seen = new Set();
  for (const f of await fsp.readdir(UPLOADS)) {
    const m = /^([0-9A-HJKMNP-TV-Z]{26})\.\d+\.json$/.exec(f);
    if (!m || seen.has(m[1])) continue;
    seen.add(m[1]);
    const info = await infoOf(f.slice(0, -5));
    const n = Number(info?.metadata?.volumes);
    if (n >= 1 && !fs.existsSync(path.join(RECEIPTS, `${m[1]}.json`))) await maybeReceive(m[1], n);
  }
}

tus.on(EVENTS.POST_CREATE, (_req, upload) => log(`upload ${upload.id} created (${upload.size} bytes)`));

const handler = (req, res) => {
  route(req, res).catch((e) => {
    log('error', e.message);
    if (!res.headersSent) sendText(res, 500, 'internal error\n');
    else res.destroy();
  });
};
// A PATCH of a big chunk on a slow or rate-limited link may take longer than Node's default
// 5 minutes for a whole request: no limit on the request, but a connection silent for
// SOHOA_HUB_IDLE_SECONDS is closed (a stalled client must not hold a socket forever).
const IDLE_S = Number.parseInt(process.env.SOHOA_HUB_IDLE_SECONDS ?? '120', 10);
if (!Number.isInteger(IDLE_S) || IDLE_S < 0) fatal(`SOHOA_HUB_IDLE_SECONDS ${process.env.SOHOA_HUB_IDLE_SECONDS} is not a number of seconds`);
const serverOptions = { requestTimeout: 0 };
const server = TLS ? https.createServer({ ...serverOptions, ...TLS }, handler) : http.createServer(serverOptions, handler);
server.setTimeout(IDLE_S * 1000);
server.on('tlsClientError', (e, socket) => log(`TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${e.code ?? e.message}`));
server.listen(PORT, HOST, async () => {
  const a = server.address();
  const mtls = CLIENT_CA ? ', client certificates required' : '';
  log(`sohoa hub listening on ${SCHEME}://${a.address}:${a.port}/files/ (workspace ${root}${mtls})`);
  await sweep().catch((e) => log('sweep', e.message));
  await resume().catch((e) => log('resume', e.message));
});
setInterval(() => sweep().catch((e) => log('sweep', e.message)), 3600 * 1000).unref();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close();
    queue.finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 10000).unref();
  });
}
