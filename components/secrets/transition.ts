/**
 * The rotation step rule of a signing key (see ./signing.ts), with no imports: the ledger's dynamic
 * provider (./ledger.ts) is serialized with its closure, which must not drag zod or Node modules in.
 */
export interface RotationState {
  current: string;
  next?: string;
  retiring?: string;
}

export const ROTATION_STEPS =
  "the rotation is: 1. `next: <new>` (issue; the current key keeps signing), 2. `current: <new>` + `retiring: <old>` (promote), 3. remove `retiring` (retire)";

export const showRotation = (r: RotationState) =>
  JSON.stringify({ current: r.current, ...(r.next ? { next: r.next } : {}), ...(r.retiring ? { retiring: r.retiring } : {}) });

/**
 * One `pulumi up` moves one step. `prev` is the state the last deployment recorded (undefined: the
 * key is new in this stack). Returns problems naming the field and the allowed next steps.
 */
export function checkTransition(at: string, prev: RotationState | undefined, next: RotationState): string[] {
  const same = (a: RotationState, b: RotationState) => a.current === b.current && a.next === b.next && a.retiring === b.retiring;
  if (!prev) {
    if (next.retiring !== undefined)
      return [
        `${at}.retiring: '${next.retiring}' was never deployed in this stack, so there is nothing to retire: start with \`{ current: ${next.current} }\``,
      ];
    return [];
  }
  if (same(prev, next)) return [];
  const allowed: { to: RotationState; what: string }[] = [];
  if (!prev.next && !prev.retiring) {
    allowed.push({ to: { current: prev.current, next: "<new>" }, what: "issue a new key" });
    if (!next.retiring && next.next !== undefined && next.current === prev.current && next.next !== prev.current) return [];
  } else if (prev.next) {
    allowed.push(
      { to: { current: prev.next, retiring: prev.current }, what: `promote '${prev.next}'` },
      { to: { current: prev.current }, what: `abandon '${prev.next}' (it never signed)` },
    );
    if (next.current === prev.next && next.retiring === prev.current && !next.next) return [];
    if (next.current === prev.current && !next.next && !next.retiring) return [];
  } else if (prev.retiring) {
    allowed.push(
      { to: { current: prev.current }, what: `retire '${prev.retiring}'` },
      { to: { current: prev.retiring, next: prev.current }, what: `roll back to '${prev.retiring}'` },
    );
    if (next.current === prev.current && !next.next && !next.retiring) return [];
    if (next.current === prev.retiring && next.next === prev.current && !next.retiring) return [];
  }
  let why = "";
  if (!prev.next && !prev.retiring && next.current !== prev.current) {
    why =
      next.retiring === prev.current
        ? `promoting '${next.current}' skips the issue phase: it was never the next key, so its address was never handed out. Set \`${at}.next: ${next.current}\` first`
        : `replacing the signing key '${prev.current}' by '${next.current}' in one step leaves no overlap (a new on-chain address with no warning). Set \`${at}.next: ${next.current}\` first`;
  } else if (prev.next && next.current === prev.next && !next.retiring) {
    why = `deleting '${prev.current}' in the same step that '${prev.next}' starts signing skips the promote phase: set \`${at}.current: ${prev.next}\` and \`${at}.retiring: ${prev.current}\` first`;
  } else if (prev.retiring && next.next !== undefined && next.current === prev.current) {
    why = `a new rotation before '${prev.retiring}' is retired skips a phase: remove \`${at}.retiring\` first`;
  } else {
    why = `the step ${showRotation(prev)} → ${showRotation(next)} is not one phase`;
  }
  return [
    `${at}: ${why}. From ${showRotation(prev)} the next step is one of: ${allowed.map((a) => `${showRotation(a.to)} (${a.what})`).join(", ")}; ${ROTATION_STEPS}`,
  ];
}
