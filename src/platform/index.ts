/**
 * The one place that picks a reader for the platform. Readers take their I/O as constructor
 * defaults, so every parser runs in tests on any machine.
 */
import type { ProcessSource } from '../core/model';
import { UnsupportedPlatformError } from '../core/model';
import { DarwinProcessSource } from './darwin';
import { LinuxProcessSource, type LinuxSourceOptions } from './linux';
import { WindowsProcessSource } from './windows';

const SUPPORTED = 'Linux (/proc), macOS (ps) and Windows (PowerShell CIM: the process tree; Windows has no zombie processes)';

export function createProcessSource(platform: NodeJS.Platform = process.platform, options: LinuxSourceOptions = {}): ProcessSource {
  if (options.procRoot !== undefined && platform !== 'linux') {
    throw new UnsupportedPlatformError(platform, 'a procfs mount (--proc) can be read on Linux only');
  }
  switch (platform) {
    case 'linux':
      return new LinuxProcessSource(options);
    case 'darwin':
      return new DarwinProcessSource();
    case 'win32':
      return new WindowsProcessSource();
    default:
      throw new UnsupportedPlatformError(platform, `supported are ${SUPPORTED}`);
  }
}
