// One replica of the controller: its manager, and the forge it acts on, wired so that the forge refuses every
// write (unsent, WriteNotAllowedError) while this replica does not lead. `vigil controller` and the failover
// tests build replicas here, so a deposed leader is held back from GitHub the same way in both.
import type { Forge } from './forge/forge.js';
import { type ControllerDependencies, registerControllers } from './reconcilers.js';
import { Manager, type ManagerOptions } from './runtime/index.js';

export interface Replica<F extends Forge = Forge> {
  manager: Manager;
  /** Undefined when the replica was given no forge credentials. */
  forge: F | undefined;
}

/**
 * The forge is made first (bad credentials are reported before the cluster is looked up) and asks the manager,
 * once it exists, whether this replica leads; the manager is returned registered but not started.
 */
export async function buildReplica<F extends Forge>(options: {
  /** The manager's options, asked for once the forge exists. */
  manager: () => ManagerOptions;
  /** Makes the forge, given whether this replica may write now (pass it to the forge as `mayWrite`). */
  forge: (mayWrite: () => boolean) => Promise<F | undefined>;
  controllers?: Omit<ControllerDependencies, 'forge'>;
}): Promise<Replica<F>> {
  let manager: Manager | undefined;
  const forge = await options.forge(() => manager?.isLeader() ?? false);
  manager = new Manager(options.manager());
  registerControllers(manager, { ...options.controllers, ...(forge ? { forge } : {}) });
  return { manager, forge };
}
