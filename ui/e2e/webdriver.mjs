// A small W3C WebDriver client (fetch) for the end-to-end tests: sessions, elements, keys,
// scripts, screenshots. Enough for tauri-driver + WebKitWebDriver; no browser downloads.
import { setTimeout as sleep } from "node:timers/promises";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
export const Keys = { Enter: "\uE007", Shift: "\uE008", Control: "\uE009", Backspace: "\uE003" };

export class WebDriver {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, capabilities, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        const r = await req(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
        return new WebDriver(base, r.sessionId);
      } catch (e) {
        last = e;
        await sleep(300);
      }
    }
    throw new Error(`could not start a WebDriver session: ${last}`);
  }

  cmd(method, path, body) {
    return req(this.base, method, `/session/${this.id}${path}`, body);
  }

  async quit() {
    await this.cmd("DELETE", "").catch(() => {});
  }

  /** Wait for the first element matching a CSS selector (optionally containing text). */
  async find(css, { timeout = 15000, text } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const els = await this.cmd("POST", "/elements", { using: "css selector", value: css }).catch(() => []);
      for (const e of els) {
        const el = new Element(this, e[ELEMENT]);
        if (text === undefined) return el;
        const t = await el.text().catch(() => "");
        if (t.includes(text)) return el;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${css}${text ? ` with "${text}"` : ""}`);
      await sleep(150);
    }
  }

  async count(css) {
    const els = await this.cmd("POST", "/elements", { using: "css selector", value: css }).catch(() => []);
    return els.length;
  }

  /** Wait until `f()` is truthy. */
  async until(what, f, timeout = 15000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const v = await f().catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  /** The window's rectangle on the screen: {x, y, width, height}. */
  rect() {
    return this.cmd("GET", "/window/rect");
  }

  exec(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Resolve after the page has painted its current state (two animation frames). */
  async painted() {
    await this.cmd("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    }).catch(() => {});
  }

  async screenshot() {
    await sleep(300);
    await this.painted();
    await sleep(200);
    // WebKit answers a screenshot after the page's next presentation update. The app paints
    // without GPU compositing (src-tauri lib.rs), and then a page with nothing left to paint
    // has no next update: the request would wait forever. A one-pixel dot in a corner that
    // changes shade every frame for a few seconds gives it one.
    await this.exec(`const dot = document.createElement('div');
      dot.setAttribute('aria-hidden', 'true');
      dot.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
      document.body.appendChild(dot);
      let n = 0;
      const tick = () => {
        dot.style.background = n % 2 ? 'rgba(128,128,128,0.02)' : 'rgba(128,128,128,0.03)';
        if (++n < 180) requestAnimationFrame(tick); else dot.remove();
      };
      requestAnimationFrame(tick);`).catch(() => {});
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }
}

class Element {
  constructor(driver, id) {
    this.d = driver;
    this.id = id;
  }
  click() {
    return this.d.cmd("POST", `/element/${this.id}/click`, {});
  }
  clear() {
    return this.d.cmd("POST", `/element/${this.id}/clear`, {});
  }
  type(text) {
    return this.d.cmd("POST", `/element/${this.id}/value`, { text });
  }
  /** The element's text content (WebKitWebDriver's Get Element Text answers "" for some
   *  elements with overflow: hidden). */
  text() {
    return this.d.exec("return arguments[0].textContent", { [ELEMENT]: this.id });
  }
  attr(name) {
    return this.d.cmd("GET", `/element/${this.id}/attribute/${name}`);
  }
  prop(name) {
    return this.d.cmd("GET", `/element/${this.id}/property/${name}`);
  }
}

async function req(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j.value ?? j)}`);
  return j.value;
}
