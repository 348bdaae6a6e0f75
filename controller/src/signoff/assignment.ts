// Separation of duties as an assignment problem: people on one side, required roles on the other, an edge where a
// person's valid approval may fill a role. A maximum bipartite matching fills the most roles while no person fills
// two; a greedy pass can strand a role (A in X and Y, B only in X: A->X leaves Y empty, B->X and A->Y fills both).

/**
 * Assign people to roles, at most one role per person and one person per role, filling as many roles as possible.
 *
 * Deterministic: roles are tried in the order given; each takes its first free candidate in the order given (the
 * caller orders them by approval time, earliest first), and only when none is free are earlier roles re-assigned
 * along an augmenting path (Kuhn's algorithm) to make room. Every role filled stays filled, so the result is a
 * maximum matching, and the one that moves people least from that order.
 *
 * @param roles role names, in policy order
 * @param candidates for each role, the people who may fill it, in preference order
 * @returns role -> person, for the roles that could be filled
 */
export function assignRoles(
  roles: readonly string[],
  candidates: ReadonlyMap<string, readonly string[]>,
): Map<string, string> {
  const roleOf = new Map<string, string>(); // person -> role
  const personOf = new Map<string, string>(); // role -> person

  const augment = (role: string, visited: Set<string>): boolean => {
    const people = candidates.get(role) ?? [];
    // A free candidate first, in preference order: re-assign others only when nobody free is left.
    for (const person of people) {
      if (visited.has(person) || roleOf.has(person)) continue;
      roleOf.set(person, role);
      personOf.set(role, person);
      return true;
    }
    for (const person of people) {
      if (visited.has(person)) continue;
      visited.add(person);
      const held = roleOf.get(person);
      if (held !== undefined && augment(held, visited)) {
        roleOf.set(person, role);
        personOf.set(role, person);
        return true;
      }
    }
    return false;
  };

  for (const role of roles) augment(role, new Set());
  // Rebuild in role order so callers that iterate the map see the policy's order.
  const ordered = new Map<string, string>();
  for (const role of roles) {
    const person = personOf.get(role);
    if (person !== undefined) ordered.set(role, person);
  }
  return ordered;
}
