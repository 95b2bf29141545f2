/** The renderer's entry: picks the API for this shell and mounts the app. */
import { mount } from 'svelte';
import { z } from 'zod';
import App from './App.svelte';
import { chooseApi } from './lib/api.ts';
import { describeError } from './lib/format.ts';
import './app.css';

// zod 4 compiles validators with new Function unless told not to; the page's CSP forbids eval.
z.config({ jitless: true });

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

try {
  mount(App, { target, props: { api: await chooseApi() } });
} catch (error) {
  // Without an API there is nothing to show but why: e.g. the page was opened without its token.
  const { code, message } = describeError(error);
  const box = document.createElement('div');
  box.className = 'startup-error';
  box.setAttribute('role', 'alert');
  box.textContent = `${message} (${code})`;
  target.replaceChildren(box);
}
