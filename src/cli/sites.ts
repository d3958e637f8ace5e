/**
 * Everything the CLI needs of the spawn-site engine, in one module that main.ts loads only when a
 * command needs it (`sites`, `zombies --workspace`). The build makes it a bundle of its own,
 * dist/cli-sites.js, so that `zombies` and `tree` do not pay for compiling the engine and its
 * tree-sitter runtime (most of the CLI's code) at every start.
 */
export { SITES_USAGE, sitesCommand } from '../spawnsites/command';
export { indexWorkspace, spawnSites } from './workspace';
