// Browser end-to-end test of `crucible serve`: a real run, a real headless
// Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
//
// Usage: node dashboard_e2e.mjs PATH_TO_CRUCIBLE [--run RUN_DIR] [--screenshot FILE.png]
// Without --run it makes a real run first (`crucible init` + `crucible run`).
// Exits 77 (CTest: skipped) when chromium or node_modules are missing.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SKIP = 77;
const CHROMIUM = process.env.CRUCIBLE_CHROMIUM || '/usr/bin/chromium';

function fail(msg) { console.error('FAIL: ' + msg); process.exitCode = 1; throw new Error(msg); }
function check(cond, msg) { if (!cond) fail(msg); console.log('ok - ' + msg); }

const args = process.argv.slice(2);
const crucible = path.resolve(args[0] || '');
let runDir = null, shot = null;
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--run') runDir = path.resolve(args[++i]);
  else if (args[i] === '--screenshot') shot = path.resolve(args[++i]);
}
if (!fs.existsSync(crucible)) { console.error('usage: node dashboard_e2e.mjs PATH_TO_CRUCIBLE [--run DIR] [--screenshot FILE]'); process.exit(2); }
if (!fs.existsSync(CHROMIUM)) { console.log(`SKIP: ${CHROMIUM} not found (apt-get install chromium, or scripts/install-deps.sh)`); process.exit(SKIP); }
let chromium;
try { ({ chromium } = require('playwright-core')); } catch (e) {
  console.log('SKIP: playwright-core is not installed (cd tests/dashboard_e2e && npm ci, or scripts/install-deps.sh)');
  process.exit(SKIP);
}

function crucibleSync(...a) {
  const p = spawnSync(crucible, a, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, PATH: '/usr/bin:' + process.env.PATH } });
  if (p.status !== 0) fail(`crucible ${a.join(' ')} exited ${p.status}: ${p.stderr}`);
  return p.stdout;
}

// Waits until `fn` (run in the page) is true. page.waitForFunction would need
// eval, which the dashboard's Content-Security-Policy forbids.
async function until(page, fn, what) {
  for (let i = 0; i < 300; i++) {
    if (await page.evaluate(fn)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail('timed out waiting for ' + what);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crucible-browser-'));
let server = null, browser = null;
try {
  if (!runDir) {
    crucibleSync('init', path.join(tmp, 'problem'));
    runDir = path.join(tmp, 'run');
    crucibleSync('run', path.join(tmp, 'problem'), '--out', runDir, '-n', '30', '--seed', '1', '-q');
  }
  // What the command line says.
  const listed = crucibleSync('list', runDir, '--all').trim().split('\n').length - 1;
  const bestOut = crucibleSync('best', runDir);
  const m = /best (\S+): (\S+) \(candidate #(\d+)/.exec(bestOut);
  if (!m) fail('cannot parse crucible best: ' + bestOut);
  const [bestValue, bestId] = [Number(m[2]), m[3]];

  server = spawn(crucible, ['serve', runDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    server.stdout.on('data', (d) => { buf += d; const u = /http:\/\/[^ ]+\//.exec(buf); if (u) resolve(u[0]); });
    server.on('exit', (c) => reject(new Error('crucible serve exited ' + c)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) foreign.push(r.url()); });
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('#stat-total');
  await page.waitForSelector('svg.score-chart circle');
  console.log(`first page with the score chart in ${Date.now() - t0} ms`);
  check(Number(await page.textContent('#stat-total')) === listed, `candidate count shown equals crucible list --all (${listed})`);
  const shown = Number(await page.textContent('#stat-best'));
  check(Math.abs(shown - bestValue) <= 1e-5 * Math.max(1, Math.abs(bestValue)), `best shown (${shown}) equals crucible best (${bestValue})`);
  check((await page.textContent('#stat-best-id')) === '#' + bestId, `best candidate is #${bestId}`);
  if (shot) { fs.mkdirSync(path.dirname(shot), { recursive: true }); await page.screenshot({ path: shot, fullPage: false }); console.log('screenshot: ' + shot); }

  // Lineage and grid render.
  await page.click('text=Lineage');
  await page.waitForSelector('svg.lineage-chart');
  await page.click('text=MAP-Elites grid');
  await page.waitForSelector('svg.grid-chart');
  await page.click('text=Proposers');
  await page.waitForSelector('#operator-table tbody tr');
  // One objective: the Front tab says there is no Pareto front.
  await page.click('nav.tabs >> text=Front');
  await page.waitForSelector('#front-none');
  // The table: sort by value, open a candidate that has a parent, see its diff.
  await page.click('nav.tabs >> text=Candidates');
  await page.waitForSelector('#candidate-table tbody tr');
  await page.selectOption('select[data-filter=outcome]', 'ok');
  await until(page, () => { const tds = [...document.querySelectorAll('#candidate-table tbody tr td:nth-child(5)')]; return tds.length > 0 && tds.every(td => td.textContent === 'ok'); }, 'the outcome filter');
  check(true, 'outcome filter shows only ok candidates');
  await page.click('th[data-sort=value]');
  await until(page, () => { const th = document.querySelector('th[data-sort=value]'); return th && /[▼▲]/.test(th.textContent); }, 'sorting by value');
  const firstId = await page.getAttribute('#candidate-table tbody tr:first-child', 'data-id');
  check(firstId === bestId, `table sorted by value starts with the best (#${firstId})`);
  const childRow = await page.$('#candidate-table tbody tr:has(td:nth-child(2):not(:text-is("-")))');
  if (!childRow) fail('no candidate with a parent in the table');
  const childId = await childRow.getAttribute('data-id');
  await childRow.click();
  await page.waitForSelector('#cand-title');
  check((await page.textContent('#cand-title')).includes('#' + childId), `candidate page of #${childId} opened`);
  const diff = await page.$('pre#diff');
  if (diff) {
    const lines = await page.$$eval('pre#diff span.add, pre#diff span.del', (els) => els.length);
    check(lines > 0, `diff against the parent shows ${lines} changed lines`);
  } else {
    check((await page.textContent('#diff')).includes('No change'), 'diff says no change against the parent');
  }
  check((await page.$$('pre.code')).length >= 1, 'candidate page shows its code');
  check(foreign.length === 0, 'nothing requested outside the dashboard: ' + JSON.stringify(foreign));
  check(consoleErrors.length === 0, 'no page errors: ' + JSON.stringify(consoleErrors));
  // Two objectives (problems/cant_be_late_policy/front, a short NSGA-II run):
  // the Front tab plots the newest front, as many members as crucible best
  // prints, and a member opens its candidate page.
  {
    const frontRun = path.join(tmp, 'front');
    const problem = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../problems/cant_be_late_policy/front');
    crucibleSync('run', problem, '--out', frontRun, '-n', '24', '-j', '2', '--seed', '3', '-q');
    const members = Number(/Pareto front: (\d+) members/.exec(crucibleSync('best', frontRun))[1]);
    const fserver = spawn(crucible, ['serve', frontRun, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const furl = await new Promise((resolve, reject) => {
        let buf = '';
        fserver.stdout.on('data', (d) => { buf += d; const u = /http:\/\/[^ ]+\//.exec(buf); if (u) resolve(u[0]); });
        fserver.on('exit', (c) => reject(new Error('crucible serve exited ' + c)));
      });
      await page.goto(furl + '#/run/0/front');
      await page.waitForSelector('#front-svg circle.front-member');
      await page.waitForSelector('#hypervolume-svg polyline');
      const shownMembers = (await page.$$('#front-svg circle.front-member')).length;
      check(shownMembers === members && (await page.$$('#front-table tbody tr')).length === members,
            `Front tab plots the newest front's ${members} members (crucible best)`);
      const memberId = await page.getAttribute('#front-svg circle.front-member', 'data-id');
      await page.click('#front-svg circle.front-member');
      await page.waitForSelector('#cand-title');
      check((await page.textContent('#cand-title')).includes('#' + memberId), `a front member opens its page (#${memberId})`);
    } finally {
      fserver.kill('SIGTERM');
    }
    check(consoleErrors.length === 0, 'no page errors on the Front tab: ' + JSON.stringify(consoleErrors));
  }
  console.log('PASS');
} catch (e) {
  if (!process.exitCode) { console.error(e); process.exitCode = 1; }
} finally {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
