/**
 * Every identifier the extension shares with package.json, in one place.
 * package.json is checked against these by test/unit/manifest.test.ts.
 */
export const EXTENSION_ID = 'process-inspector.process-inspector';

export enum Commands {
  FindZombies = 'processInspector.findZombies',
  Refresh = 'processInspector.refresh',
  InspectProcess = 'processInspector.inspectProcess',
  FilterZombies = 'processInspector.filterZombies',
  ShowAllProcesses = 'processInspector.showAllProcesses',
  RevealParent = 'processInspector.revealParent',
  CopyPid = 'processInspector.copyPid',
  CopyCommandLine = 'processInspector.copyCommandLine',
  SendSigchld = 'processInspector.sendSigchld',
  Terminate = 'processInspector.terminate',
  Kill = 'processInspector.kill',
  Dismiss = 'processInspector.dismiss',
  OpenSpawnSite = 'processInspector.openSpawnSite',
  /** The CodeLens on a spawn site: reveal its live zombies in the view. */
  ShowSiteZombies = 'processInspector.showSiteZombies',
  /** Index the workspace's spawn sites again, reading every file (the saved index is dropped). */
  ReindexSpawnSites = 'processInspector.reindexSpawnSites',
}

/** Theme colors the extension contributes (package.json `contributes.colors`). */
export enum Colors {
  /** The line of a spawn site with live zombies. */
  ZombieSiteBackground = 'processInspector.zombieSiteBackground',
}

/** `Diagnostic.source` of the spawn-site findings in the Problems panel. */
export const DIAGNOSTIC_SOURCE = 'Process Inspector';

export enum Views {
  Processes = 'processInspector.processes',
}

export enum ContextKeys {
  /** True while the view shows only zombies and their parents. */
  FilterZombies = 'processInspector.filterZombies',
}

/** Values of TreeItem.contextValue, matched in package.json `when` clauses with `=~ /^processInspector:zombie/`. */
export enum ItemContext {
  /** A root (session, picked process, machine-wide results); `:ended` appended once it ended. */
  Root = 'processInspector:root',
  Process = 'processInspector:process',
  Zombie = 'processInspector:zombie',
  NonReapingParent = 'processInspector:parent',
  Group = 'processInspector:group',
  Message = 'processInspector:message',
}

/** Flags appended to a process row's contextValue, matched with `=~ /:own/` etc. */
export enum ItemFlag {
  /** The process belongs to the user's uid: signals may be sent. */
  Own = ':own',
  /** A spawn site is linked. */
  Site = ':site',
  /** The root's session has ended. */
  Ended = ':ended',
}

export enum Settings {
  Section = 'processInspector',
  /** Minutes left before a limit (pids.max, RLIMIT_NPROC, pid_max) below which the user is warned. */
  ForecastWarnMinutes = 'forecast.warnMinutes',
}
