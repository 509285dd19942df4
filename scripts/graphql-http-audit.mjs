// Runs graphql-http's auditServer against AUDIT_URL, with REACHSPARK_AUDIT_TOKEN as a bearer
// token on every request, prints each result, and exits 1 when a MUST fails or more than
// AUDIT_MAX_SHOULD_WARNINGS (default 2) SHOULDs warn. Started by scripts/graphql-http-audit.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const url = process.env.AUDIT_URL;
const cache = process.env.AUDIT_CACHE;
const token = process.env.REACHSPARK_AUDIT_TOKEN;
const maxWarnings = Number(process.env.AUDIT_MAX_SHOULD_WARNINGS ?? 2);
if (!url || !cache) {
  console.error('AUDIT_URL and AUDIT_CACHE must be set (use scripts/graphql-http-audit)');
  process.exit(2);
}
if (!token) {
  console.error('REACHSPARK_AUDIT_TOKEN is not set: auditing anonymously');
}

const entry = pathToFileURL(join(cache, 'node_modules', 'graphql-http', 'lib', 'index.mjs')).href;
const { auditServer } = await import(entry);

/** fetch with the bearer token added to whatever headers the audit sets. */
function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

async function describe(response) {
  if (!response) return '';
  let body = '';
  try {
    body = await response.clone().text();
  } catch {
    body = '(body already read)';
  }
  const type = response.headers.get('content-type') ?? '-';
  return `\n        ${response.status} ${type} ${body.slice(0, 300)}`;
}

const results = await auditServer({ url, fetchFn });
const label = { ok: 'ok', warn: 'WARN', error: 'ERROR', notice: 'notice' };
const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
for (const result of results) {
  counts[result.status] += 1;
  const reason = result.status === 'ok' ? '' : ` -- ${result.reason}${await describe(result.response)}`;
  console.log(`${label[result.status].padEnd(6)} ${result.id} ${result.name}${reason}`);
}
console.log(
  `\n${url}: ${results.length} audits: ${counts.ok} ok, ${counts.error} MUST failed, ` +
    `${counts.warn} SHOULD warned (at most ${maxWarnings} allowed), ${counts.notice} MAY not done`,
);
if (counts.error > 0 || counts.warn > maxWarnings) {
  console.log('graphql-http audit: FAILED');
  process.exit(1);
}
console.log('graphql-http audit: passed');
