// Loads pages in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) and
// reports, as JSON on stdout: console errors, uncaught page errors, axe-core violations of
// impact serious or critical, whether charts and maps rendered, and for `print:` paths the
// number of A4 pages the page prints to.
// Usage: node check.mjs BASE_URL path [path…]   (a path prefixed with `print:` is also printed)
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [base, ...paths] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
const results = [];
try {
  for (const raw of paths) {
    const print = raw.startsWith("print:");
    const path = print ? raw.slice(6) : raw;
    for (const width of [1280, 375]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const consoleErrors = [];
      page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
      page.on("pageerror", (e) => consoleErrors.push(String(e)));
      const resp = await page.goto(base + path, { waitUntil: "load" });
      await page.addScriptTag({ content: axeSource });
      const axe = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ["violations"] });
        return r.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
      });
      const rendered = await page.evaluate(() => ({
        charts: [...document.querySelectorAll("svg.chart")].filter((s) => s.getBoundingClientRect().width > 0).length,
        maps: [...document.querySelectorAll("svg.map")].filter((s) => s.getBoundingClientRect().width > 0).length,
        paths: document.querySelectorAll("svg.map path").length,
        // content wider than the screen outside a scroll container
        overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      }));
      let pages = null;
      if (print && width === 1280) {
        const pdf = await page.pdf({ format: "A4", preferCSSPageSize: true, printBackground: true });
        pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
      }
      results.push({ path, width, status: resp.status(), consoleErrors, axe, ...rendered, pages });
      await page.close();
    }
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
