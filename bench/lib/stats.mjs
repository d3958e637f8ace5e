// Small statistics and formatting helpers for the benchmark tables.

/** The q-quantile by nearest rank (q=0.5 median, q=0.9 p90) of a non-empty sample. */
export function quantile(sample, q) {
  const s = [...sample].sort((a, b) => a - b);
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[k];
}

export const median = (sample) => quantile(sample, 0.5);
export const p90 = (sample) => quantile(sample, 0.9);

/** Milliseconds with a precision that suits the size. */
export function ms(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return x.toFixed(0);
}

export function ratio(x) {
  if (!Number.isFinite(x)) return 'n/a';
  return `${x < 10 ? x.toFixed(2) : x.toFixed(1)}x`;
}

export function mib(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * A markdown table from a header row and rows of cells. align: one letter a column, l or r
 * (default: the first column left, the others right).
 */
export function table(header, align, rows) {
  if (rows === undefined) {
    rows = align;
    align = header.map((h, i) => (i === 0 ? 'l' : 'r')).join('');
  }
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((h, i) => (align[i] === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}
