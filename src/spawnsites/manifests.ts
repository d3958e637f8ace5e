/**
 * The two manifests the index reads beside source, for the names of the workspace's programs:
 * go.mod (a directory's module path) and Cargo.toml (the binaries a crate builds).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRegularText } from './safefs';

/** go.mod's `module` line (a manifest, not source); undefined when it has none or cannot be read (the directory is then not a module root). */
export function goModulePath(path: string): string | undefined {
  try {
    for (const line of readRegularText(path).split('\n')) {
      const words = line.trim().split(/\s+/);
      if (words[0] === 'module' && words[1]) {
        return words[1].replace(/^"|"$/g, '');
      }
    }
  } catch {
    // unreadable manifest: the directory is then not a module root
  }
  return undefined;
}

/** Cargo.toml's package name and [[bin]] names, plus src/bin/*.rs (the binaries cargo builds). */
export function cargoBinaries(path: string): string[] {
  const names: string[] = [];
  try {
    let section = '';
    for (const raw of readRegularText(path).split('\n')) {
      const line = raw.trim();
      if (line.startsWith('[')) section = line;
      const eq = line.indexOf('=');
      if (eq > 0 && line.slice(0, eq).trim() === 'name' && (section === '[package]' || section === '[[bin]]')) {
        names.push(line.slice(eq + 1).trim().replace(/^"|"$/g, ''));
      }
    }
    const binDir = join(dirname(path), 'src', 'bin');
    if (existsSync(binDir)) for (const f of readdirSync(binDir)) if (f.endsWith('.rs')) names.push(f.slice(0, -3));
  } catch {
    // keep what was read
  }
  return names;
}
