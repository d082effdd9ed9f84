import { join } from 'node:path';
import { writeFileAtomic } from '@bulwark/host-files';

/**
 * The `writeStateFile` of a module's context (see AgentModuleContext): one file of the module's
 * data directory, replaced atomically and durably, mode 0600. Exported so that tests and
 * benchmarks which build a context by hand write state files as the agent does.
 */
export function moduleStateFileWriter(dataDir: string): (name: string, content: string) => void {
  return (name, content) => {
    const problem = stateFileNameProblem(name);
    if (problem) throw new Error(`state file name ${JSON.stringify(name)} refused: ${problem}`);
    writeFileAtomic(join(dataDir, name), content, 0o600);
  };
}

/** Why `name` is not a plain file name of the module's own directory; undefined when it is. */
function stateFileNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.includes('/')) return "a state file is a plain name inside the module's data directory, without '/'";
  // A leading dot also rules out '.', '..' and the temporary files writeFileAtomic leaves on a crash.
  if (name.startsWith('.')) return "it must not start with '.'";
  if (name.includes('\0')) return 'it holds a NUL character';
  return undefined;
}
