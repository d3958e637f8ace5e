/**
 * Every identifier the extension shares with package.json, in one place.
 * package.json is checked against these by test/unit/manifest.test.ts.
 */
export const EXTENSION_ID = 'process-inspector.process-inspector';

export const enum Commands {
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
}

export const enum Views {
  Processes = 'processInspector.processes',
}

export const enum ContextKeys {
  /** True while the view shows only zombies and their parents. */
  FilterZombies = 'processInspector.filterZombies',
}

/** Values of TreeItem.contextValue, matched in package.json `when` clauses with `=~ /^processInspector:zombie/`. */
export const enum ItemContext {
  /** A root (session, picked process, machine-wide results); `:ended` appended once it ended. */
  Root = 'processInspector:root',
  Process = 'processInspector:process',
  Zombie = 'processInspector:zombie',
  NonReapingParent = 'processInspector:parent',
  Group = 'processInspector:group',
  Message = 'processInspector:message',
}

/** Flags appended to a process row's contextValue, matched with `=~ /:own/` etc. */
export const enum ItemFlag {
  /** The process belongs to the user's uid: signals may be sent. */
  Own = ':own',
  /** A spawn site is linked. */
  Site = ':site',
  /** The root's session has ended. */
  Ended = ':ended',
}

export const enum Settings {
  Section = 'processInspector',
}
