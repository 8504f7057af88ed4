/**
 * PromQL syntax check with the real PromQL grammar (@prometheus-io/lezer-promql, the parser the
 * Prometheus web UI uses). Every error node of the tree is a failure, reported with its offset and
 * the text around it.
 */
import { parser } from "@prometheus-io/lezer-promql";

export function promqlErrors(expr: string): string[] {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        const from = Math.max(0, node.from - 15);
        errors.push(`syntax error at ${node.from}: …${expr.slice(from, node.to + 15)}…`);
      }
    },
  });
  if (tree.topNode.name !== "PromQL") errors.push(`top node is ${tree.topNode.name}, not PromQL`);
  return errors;
}

/** Names of the node types in the tree (to assert structure, e.g. that a comparison is there). */
export function nodeNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({ enter: (n) => void names.push(n.name) });
  return names;
}
