/**
 * The program entry of a conformance run (tools/conformance/run.ts writes a throw-away project
 * whose `index.ts` requires this file). It runs the repository's own program, unchanged, with two
 * stack transforms that only a conformance run applies:
 *
 *  - every Kubernetes provider talks to the embedded control plane (CONFORMANCE_KUBECONFIG): on
 *    staging/prod the program still "creates" its EKS cluster (answered by tools/mockcloud), but
 *    the objects it puts in that cluster go to a real API server;
 *  - every Kubernetes object gets short create/update/delete timeouts (CONFORMANCE_TIMEOUT,
 *    default 3m): simulated nodes turn Ready in seconds, so a workload that is not ready by then
 *    never will be (a Pod Security rejection, a missing Secret), and the run says so early instead
 *    of after the provider's default 10 minutes.
 *
 * Nothing else differs from `pulumi up -s <stack>`: same program, same config, same policy pack.
 */
import * as pulumi from "@pulumi/pulumi";
import { main } from "../../stacks/program";

const kubeconfig = process.env["CONFORMANCE_KUBECONFIG"];
if (!kubeconfig) throw new Error("CONFORMANCE_KUBECONFIG is not set: run this entry through tools/conformance/run.ts");
const timeout = process.env["CONFORMANCE_TIMEOUT"] ?? "3m";

pulumi.runtime.registerResourceTransform((args) => {
  if (args.type === "pulumi:providers:kubernetes") {
    const props: Record<string, unknown> = { ...args.props, kubeconfig };
    delete props["renderYamlToDirectory"];
    delete props["context"];
    return { props, opts: args.opts };
  }
  if (args.custom && args.type.startsWith("kubernetes:")) {
    return {
      props: args.props,
      opts: { ...args.opts, customTimeouts: { create: timeout, update: timeout, delete: timeout, ...(args.opts.customTimeouts ?? {}) } },
    };
  }
  return undefined;
});

export = main();
