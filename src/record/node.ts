/**
 * The Node recorder: src/record/assets/preload.cjs, loaded through NODE_OPTIONS=--require. What it
 * wraps, and what it leaves out, is written at the top of that file.
 */
import { installAsset, messageOf } from './install';
import { RECORD_ENV, type Preparation, type RecorderContext } from './types';

/**
 * Copies the preload into the cache (once per version of it) and gives the environment that
 * loads it: PROCESS_INSPECTOR_RECORD, and NODE_OPTIONS with `--require "PATH"` appended to what
 * the launch had (left as it is when it already requires our file). Never throws.
 */
export function prepareNode(ctx: RecorderContext): Preparation {
  let file: string;
  try {
    file = installAsset('preload.cjs', ctx.cacheDir, 'node');
  } catch (err) {
    return { language: 'node', ok: false, reason: `cannot prepare the Node recorder: ${messageOf(err)}` };
  }
  const ours = `--require ${quoteNodeOption(file)}`;
  const existing = ctx.env.NODE_OPTIONS?.trim();
  const nodeOptions = !existing ? ours : existing.includes(ours) ? existing : `${existing} ${ours}`;
  return {
    language: 'node',
    ok: true,
    env: { [RECORD_ENV]: ctx.recordFile, NODE_OPTIONS: nodeOptions },
    note: `Node: ${file} preloaded through NODE_OPTIONS`,
  };
}

/**
 * One NODE_OPTIONS word. Node splits NODE_OPTIONS at spaces outside double quotes, and inside
 * double quotes a backslash takes the next character as it is (src/node_options.cc,
 * ParseNodeOptionsEnvVar): so the value in double quotes, with `\` and `"` escaped, is one word
 * whatever it holds.
 */
export function quoteNodeOption(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
