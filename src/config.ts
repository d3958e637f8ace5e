/** Settings under `processInspector.*`, read in one place. Described in package.json. */
import * as vscode from 'vscode';
import { Settings } from './ids';

export interface Config {
  /** Milliseconds between refreshes while the view is visible or a session runs. */
  refreshInterval: number;
  /** Tell the user the first time a session's program makes zombies. */
  notifyOnZombies: boolean;
  /** Where Find Zombies looks: the debugged programs (whole machine when none), or always the whole machine. */
  findScope: 'sessions' | 'machine';
  /** Index the workspace's spawn sites: diagnostics, quick fixes, links from zombies, CodeLens. */
  spawnSites: boolean;
  /** Warn (status bar, one notification per parent) when a leak reaches a limit within this many minutes; 0 never. */
  forecastWarnMinutes: number;
  /** Per runtime: add its spawn recorder to debug launches (processInspector.record.LANG). */
  record: { go: boolean; python: boolean; node: boolean; native: boolean };
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(Settings.Section);
  return {
    refreshInterval: Math.max(250, c.get<number>('refreshInterval', 2000)),
    notifyOnZombies: c.get<boolean>('notifyOnZombies', true),
    findScope: c.get<'sessions' | 'machine'>('findZombies.scope', 'sessions'),
    spawnSites: c.get<boolean>('spawnSites.enabled', true),
    forecastWarnMinutes: Math.max(0, c.get<number>(Settings.ForecastWarnMinutes, 15)),
    record: {
      go: c.get<boolean>('record.go', true),
      python: c.get<boolean>('record.python', true),
      node: c.get<boolean>('record.node', true),
      native: c.get<boolean>('record.native', true),
    },
  };
}
