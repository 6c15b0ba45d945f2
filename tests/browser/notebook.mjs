// Opens a notebook in Debian's Chromium (headless, through playwright-core), runs all cells
// from the Run menu as a learner would, waits for texts, optionally clicks a button, and
// prints one JSON report on stdout. The same driver serves JupyterLab and JupyterLite: both
// show JupyterLab's notebook UI. With "mode": "repl" it opens a JupyterLite REPL whose URL
// carries the code (?kernel=python&code=...) and only waits for the texts.
//
//   node notebook.mjs plan.json
//
// plan.json: {
//   "url": "http://127.0.0.1:PORT/lab/tree/00-setup.ipynb?token=...",
//   "chromium": "/usr/bin/chromium",
//   "screenshot": "/path/to/after-run.png",
//   "expect": ["text that must appear in some cell output", ...],
//   "click": {"button": "add consumer", "screenshot": "/path/to/after-click.png"},  // optional
//   "timeoutMs": 120000,
//   "mode": "notebook"  // or "repl"
// }
//
// Every request to a host other than 127.0.0.1 or localhost is aborted and listed in the
// report, so a page that would need the internet fails loudly instead of passing by luck.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const timeout = plan.timeoutMs ?? 120000;
const repl = plan.mode === 'repl';
const scope = repl ? '.jp-CodeConsole' : '.jp-Notebook';
const started = Date.now();
const report = { aborted: [], pageErrors: [], timings: {}, outputs: [], errors: [] };
const mark = (name) => { report.timings[name] = (Date.now() - started) / 1000; };

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

const browser = await chromium.launch({
  executablePath: plan.chromium,
  headless: true,
  chromiumSandbox: false, // as root Chromium refuses to start with its sandbox
  args: [
    '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ],
});

// The texts of every output, the output area's image sources, and the in-flight prompts.
async function notebookState(page) {
  return page.evaluate((scope) => {
    const cells = [...document.querySelectorAll(`${scope} .jp-CodeCell`)];
    return {
      prompts: cells.map((c) => (c.querySelector('.jp-InputPrompt')?.textContent ?? '').trim()),
      outputs: cells.map((c) => [...c.querySelectorAll('.jp-OutputArea-output')]
        .map((o) => o.textContent).join('\n')),
      errors: [...document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]',
      )].map((o) => o.textContent),
    };
  }, scope);
}

// The text and images of the output area of the cell that holds the button named `name`.
async function widgetState(page, name) {
  const button = page.getByRole('button', { name, exact: true });
  const cell = page.locator('.jp-CodeCell', { has: button });
  return cell.evaluate((el) => {
    const area = el.querySelector('.jp-Cell-outputArea') ?? el;
    return {
      text: area.textContent,
      images: [...area.querySelectorAll('img')].map((img) => img.getAttribute('src') ?? ''),
    };
  });
}

async function menu(page, name, item) {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${name}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) }).click();
}

async function waitUntil(page, what, predicate) {
  const deadline = started + timeout;
  const dialogAccept = page.locator('.jp-Dialog .jp-mod-accept');
  for (;;) {
    if (await dialogAccept.isVisible()) await dialogAccept.click();
    const state = await notebookState(page);
    if (predicate(state)) return state;
    if (Date.now() > deadline) {
      report.outputs = state.outputs;
      report.errors = state.errors;
      report.prompts = state.prompts;
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
    }
    await page.waitForTimeout(250);
  }
}

let exitCode = 0;
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname)) {
      return route.continue();
    }
    report.aborted.push(route.request().url());
    return route.abort();
  });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (error) => report.pageErrors.push(String(error)));

  await page.goto(plan.url);
  await page.locator(`${scope} .jp-Cell`).first().waitFor();
  mark(repl ? 'console_shown' : 'notebook_shown');
  const expected = plan.expect ?? [];
  const shows = (s) => expected.every((t) => s.outputs.join('\n').includes(t));
  let state;
  if (repl) {
    state = await waitUntil(page, 'the expected texts', (s) => s.errors.length > 0 || shows(s));
  } else {
    // JupyterLab asks which kernel to start: take the one it offers, as a learner would
    // (JupyterLab's autoStartDefaultKernel setting is off by default).
    const dialogAccept = page.locator('.jp-Dialog .jp-mod-accept');
    if (await dialogAccept.waitFor({ timeout: 15000 }).then(() => true, () => false)) {
      await dialogAccept.click();
      await dialogAccept.waitFor({ state: 'hidden' });
    }
    // Clear the stored outputs and prompts first: what the test reads is what this run printed.
    await menu(page, 'Edit', 'Clear Outputs of All Cells');
    await waitUntil(page, 'the outputs to clear', (s) => s.outputs.every((o) => o === ''));
    await menu(page, 'Run', 'Run All Cells');
    state = await waitUntil(page, 'every cell to run and the expected texts', (s) => {
      // A cell whose input is collapsed (a solution) shows no prompt at all: skip it.
      const shown = s.prompts.filter((p) => p !== '');
      const done = shown.length > 0 && shown.every((p) => /^\[\d+\]:$/.test(p));
      return s.errors.length > 0 || (done && shows(s));
    });
  }
  report.outputs = state.outputs;
  report.errors = state.errors;
  mark(repl ? 'texts_shown' : 'all_cells_ran');
  await page.screenshot({ path: plan.screenshot, fullPage: true });

  if (plan.click && state.errors.length === 0) {
    const name = plan.click.button;
    report.before = await widgetState(page, name);
    await page.getByRole('button', { name, exact: true }).click();
    const deadline = Date.now() + timeout;
    for (;;) {
      report.after = await widgetState(page, name);
      const changed = report.after.text !== report.before.text
        && JSON.stringify(report.after.images) !== JSON.stringify(report.before.images);
      if (changed || Date.now() > deadline) break;
      await page.waitForTimeout(250);
    }
    mark('clicked');
    await page.screenshot({ path: plan.click.screenshot, fullPage: true });
  }
} catch (error) {
  report.failure = String(error);
  exitCode = 1;
  if (page && plan.screenshot) {
    await page.screenshot({ path: plan.screenshot, fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
process.exit(exitCode);
