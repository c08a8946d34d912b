// Options of the scripts run by hand (bench/, the generator's fuzz runs): node's parseArgs, with
// `--help` and mistakes answered by a usage line rather than a stack trace.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A script's options: `--help` prints `usage` and exits 0; an unknown or malformed option prints
 * what is wrong and `usage`, and exits 2.
 */
export function scriptArgs<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: ${usage}`);
    process.exit(2);
  }
}
