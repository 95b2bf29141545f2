/**
 * The page a browser gets for a one-time UI link that was already used or has expired (opening
 * the same link again, a reload of it, a bookmark): what happened and what to do, in plain HTML with
 * no script and no inline style, so the UI's Content-Security-Policy applies to it unchanged.
 */

/** The sentence the page and the JSON answer share. */
export const usedLinkMessage =
  'This pulsar-tunnel UI link has been used already or has expired: each link works once, and the one a browser is opened with for a minute.';

/** What to do, one item per way out. */
export const usedLinkAdvice = [
  'If the UI is already open in another tab or window, use that tab: it stays signed in.',
  'For a new link, stop `pulsar-tunnel ui` (or `npm start`) with Ctrl-C and start it again: it prints a fresh link and opens the browser with another.',
] as const;

function code(text: string): string {
  return text.replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The whole HTML document (UTF-8). */
export function usedLinkPage(): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Link already used — pulsar-tunnel</title></head>',
    '<body>',
    '<main>',
    '<h1>This link was already used or has expired</h1>',
    `<p>${usedLinkMessage}</p>`,
    '<ul>',
    ...usedLinkAdvice.map((item) => `<li>${code(item)}</li>`),
    '</ul>',
    '<p>Code: <code>API_UNAUTHORIZED</code></p>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
