// Browser test of the embedded page: node tests/browser/page_test.mjs <llamachat binary>
// Starts llamachat (offline backend, port 0), opens the page in Debian's chromium through playwright-core,
// sends a message with the keyboard and checks the streamed reply, the offline notice and a clean console.
// Exits 77 (ctest SKIP_RETURN_CODE) when chromium or playwright-core is missing, saying so loudly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';

const binary = process.argv[2];
const chromiumPath = process.env.LLAMACHAT_CHROMIUM || '/usr/bin/chromium';
function skip(why) {
  console.error(`\n*** SKIPPED: ${why} ***\n`);
  process.exit(77);
}
if (!existsSync(chromiumPath)) skip(`chromium not found at ${chromiumPath} (apt-get install chromium, or set LLAMACHAT_CHROMIUM)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  skip('playwright-core is not installed (scripts/setup.sh test runs npm ci in tests/browser)');
}

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok    ' : 'FAILED'} ${what}`);
  if (!ok) failures++;
}

const service = spawn(binary, ['--host', '127.0.0.1', '--port', '0'], {
  env: { PATH: process.env.PATH, LLAMACHAT_OFFLINE_DELAY_MS: '20', AWS_EC2_METADATA_DISABLED: 'true' },
});
let log = '';
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('llamachat did not start:\n' + log)), 20000);
  service.stderr.on('data', (d) => {
    log += d;
    const m = /listening on [0-9.]+:(\d+)/.exec(log);
    if (m) { clearTimeout(timer); resolve(Number(m[1])); }
  });
});

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByTestId('backend-status').filter({ hasText: 'Offline mode' }).waitFor({ timeout: 10000 });
  check(true, 'the page says it runs offline');

  // Model text must be inserted as text: send markup and expect it back verbatim, not rendered.
  const input = page.getByTestId('input');
  await input.fill('<b id="injected">bold</b> hello');
  await input.press('Enter');
  const reply = page.getByTestId('message-assistant').last();
  await reply.filter({ hasText: 'set AWS_REGION and BEDROCK_MODEL_ID' }).waitFor({ timeout: 15000 });
  check(await page.locator('#injected').count() === 0, 'markup in messages is shown as text, never as HTML');
  check((await reply.textContent()).includes('<b id="injected">bold</b> hello'), 'the reply echoes the message text');
  check((await page.getByTestId('message-user').last().textContent()).includes('<b id="injected">'), 'the user message is shown as typed');
  check(await input.isEnabled(), 'the input is enabled again after the reply');

  // Errors are shown: a blank message never reaches the server; a failing request shows its error.
  await page.route('**/chat', (route) => route.fulfill({ status: 502, contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ error: 'Llama invocation failed: injected by the test' }) }));
  await input.fill('trigger an error');
  await page.getByTestId('send').click();
  await page.getByTestId('message-error').filter({ hasText: 'injected by the test' }).waitFor({ timeout: 10000 });
  check(true, 'a failed request shows its error message');
  problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('502')));

  check(problems.length === 0, 'no console errors or failed requests' + (problems.length ? ': ' + problems.join('; ') : ''));
} finally {
  await browser.close();
  service.kill('SIGTERM');
  await once(service, 'exit');
}
console.log(failures === 0 ? '1 passed, 0 failed' : `0 passed, 1 failed (${failures} checks failed)`);
process.exit(failures === 0 ? 0 : 1);
