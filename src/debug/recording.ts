/**
 * Spawn recording in debug sessions, with no configuration: a debug configuration provider for
 * each debug type adds its runtime's recorder to a launch (src/record/launch.ts), after the
 * user's and the debugger extension's own resolution (variables substituted). What was added, or
 * why not, goes to the output channel and rides along in the configuration, where the session's
 * row in the Processes view reads it back.
 */
import * as vscode from 'vscode';
import { defaultRecorderCacheDir } from '../record/assets';
import { newRecordFile } from '../record/dir';
import { injectIntoLaunch, RECORDED_DEBUG_TYPES } from '../record/launch';
import { readConfig } from '../config';

export function registerRecording(log: vscode.LogOutputChannel): vscode.Disposable[] {
  const provider: vscode.DebugConfigurationProvider = {
    resolveDebugConfigurationWithSubstitutedVariables(_folder, config) {
      try {
        const r = injectIntoLaunch(config, { enabled: readConfig().record, newRecordFile: () => newRecordFile(), cacheDir: defaultRecorderCacheDir(), env: process.env });
        for (const n of r.notes) log.info(`${config.name ?? config.type} (${config.type}): ${n}`);
        if (r.recordFile) log.info(`${config.name ?? config.type}: records go to ${r.recordFile}`);
      } catch (e) {
        // Never in the way of a launch.
        log.error(`could not add the spawn recorder to ${config.name ?? config.type}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
      return config;
    },
  };
  return RECORDED_DEBUG_TYPES.map((t) => vscode.debug.registerDebugConfigurationProvider(t, provider));
}
