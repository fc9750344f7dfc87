// An independent tus client for the hub's tests: uploads one package volume with tus-js-client.
//   node hub/test/upload.mjs FILE ENDPOINT ORG [CHUNK_BYTES]
// The metadata is what `sohoa upload` sends: package, volume, volumes (from the file name
// <package-id>[.part<k>-of-<n>].zip.p7m), org, filename and the file's SHA-256. Prints the
// upload URL; exits 1 with the server's answer on failure.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

const [file, endpoint, org, chunk] = process.argv.slice(2);
if (!file || !endpoint || !org) {
  console.error('usage: node upload.mjs FILE ENDPOINT ORG [CHUNK_BYTES]');
  process.exit(2);
}
const filename = path.basename(file);
const m = /^([0-9A-Z]{26})(?:\.part(\d+)-of-(\d+))?\.zip\.p7m$/.exec(filename);
if (!m) {
  console.error(`${filename}: not a package volume name`);
  process.exit(2);
}
const data = fs.readFileSync(file);
const metadata = {
  package: m[1],
  volume: m[2] ?? '1',
  volumes: m[3] ?? '1',
  org,
  filename,
  sha256: createHash('sha256').update(data).digest('hex'),
};
const upload = new tus.Upload(data, {
  endpoint,
  metadata,
  uploadSize: data.length,
  chunkSize: chunk ? Number(chunk) : Number.POSITIVE_INFINITY,
  retryDelays: [],
  storeFingerprintForResuming: false,
  onError(err) {
    console.error(`upload of ${filename} failed: ${err.message}`);
    process.exit(1);
  },
  onSuccess() {
    console.log(upload.url);
  },
});
upload.start();
