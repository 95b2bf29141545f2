/** Browser file helpers: reading picked or dropped files, saving a download, the clipboard. */

/** Reads a File as UTF-8 text. */
export function readText(file: Blob): Promise<string> {
  if (typeof file.text === 'function') return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsText(file);
  });
}

/** Offers `content` as a file download named `fileName`. */
export function download(fileName: string, content: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next task: the download has taken its own reference by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Copies text; falls back to a hidden textarea where the async Clipboard API is refused (http). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Not a secure context or permission denied: fall through to the legacy path.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  document.body.append(area);
  area.select();
  const copied = typeof document.execCommand === 'function' && document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('The clipboard is not available here; select the text and copy it by hand.');
}

/**
 * Restores a PEM pasted into a single-line field (password inputs drop line breaks): re-wraps each
 * BEGIN/END block's base64 at 64 columns (RFC 7468). Multi-line input comes back trimmed.
 */
export function normalizePem(text: string): string {
  const trimmed = text.trim();
  if (trimmed.includes('\n')) return `${trimmed}\n`;
  const blocks = [...trimmed.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----/g)];
  if (blocks.length === 0) return trimmed;
  return blocks
    .map(([, label, body]) => {
      const base64 = (body ?? '').replace(/\s+/g, '');
      const lines = base64.match(/.{1,64}/g) ?? [];
      return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
    })
    .join('\n') + '\n';
}
