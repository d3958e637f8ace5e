/**
 * Every identifier the extension shares with package.json, in one place.
 * package.json is checked against these by test/unit/manifest.test.ts.
 */
export const EXTENSION_ID = 'process-inspector.process-inspector';

export const enum Commands {
  FindZombies = 'processInspector.findZombies',
  Refresh = 'processInspector.refresh',
}

export const enum Views {
  Processes = 'processInspector.processes',
}

export const enum ContextKeys {
  /** True while at least one debug session has a root in the view. */
  HasSessions = 'processInspector.hasSessions',
}

/** Values of TreeItem.contextValue, matched in package.json `when` clauses with `=~ /^processInspector:zombie/`. */
export const enum ItemContext {
  Session = 'processInspector:session',
  Process = 'processInspector:process',
  Zombie = 'processInspector:zombie',
  NonReapingParent = 'processInspector:parent',
}

export const enum Settings {
  Section = 'processInspector',
}
