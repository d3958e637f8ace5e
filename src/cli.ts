// The `process-inspector` executable (package.json "bin" -> dist/cli.js).
import { main } from './cli/main';
import { processIo } from './cli/output';

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`process-inspector: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
