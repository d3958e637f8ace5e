/**
 * The one place that picks a reader for the platform. Readers take their I/O as constructor
 * defaults, so every parser runs in tests on any machine.
 */
import type { ProcessSource } from '../core/model';
import { UnsupportedPlatformError } from '../core/model';
import { LinuxProcessSource, type LinuxSourceOptions } from './linux';

export function createProcessSource(platform: NodeJS.Platform = process.platform, options: LinuxSourceOptions = {}): ProcessSource {
  switch (platform) {
    case 'linux':
      return new LinuxProcessSource(options);
    default:
      throw new UnsupportedPlatformError(platform, 'only Linux is supported so far');
  }
}
