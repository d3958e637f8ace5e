// Replaces one "## " section of a document (docs/benchmarks.md, docs/accuracy.md), leaving every
// other section as it is.
import * as fs from 'node:fs';
import * as path from 'node:path';

const INTRO = `# Benchmarks

What Process Inspector costs, measured, not estimated: every figure below comes from the command
printed beside it, on the machine described there. The machines are shared and noisy (CI and
other work run beside the benchmarks), so each benchmark runs its contenders side by side,
round-robin, and the ratios between them say more than the absolute times.

Each section is written by its own benchmark: \`npm run bench -- --write-docs\` regenerates the
whole file, \`npm run bench -- --only process|sites|recorders|gitignore --write-docs\` one section.
`;

/**
 * Puts `body` (which starts with `heading`) in place of the section that starts with `heading`
 * (up to the next "## " heading), or appends it. Creates the file with `intro` (by default the
 * intro of docs/benchmarks.md) if absent.
 */
export function writeSection(file, heading, body, intro = INTRO) {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : intro;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  const section = body.trimEnd().split('\n');
  if (start < 0) {
    text = `${text.trimEnd()}\n\n${section.join('\n')}\n`;
  } else {
    let end = start + 1;
    while (end < lines.length && !/^## /.test(lines[end])) end++;
    const after = lines.slice(end);
    text = [...lines.slice(0, start), ...section, ...(after.length ? ['', ...after] : [])].join('\n');
    if (!text.endsWith('\n')) text += '\n';
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
