/**
 * The release rules across a whole blueprint and stack config: the blueprint's delivery, the
 * services' strategies and the stack's rollout knobs. stacks/spec/platform.ts calls
 * `releaseIssues` from its cross check, so every problem is reported before anything is
 * registered. Apart from ./release.ts (the schemas blueprint.ts and stack-config.ts import) so
 * that no import cycle runs through the spec.
 */
import type { BlueprintSpec } from "./blueprint";
import { gitopsTier } from "./release";
import type { StackConfig } from "./stack-config";
import { TIERS } from "./tiers";

interface Issue {
  path: (string | number)[];
  message: string;
}

/** Rules across the blueprint's delivery, the services' strategies and the stack's knobs. */
export function releaseIssues(config: StackConfig, bp: BlueprintSpec): Issue[] {
  const out: Issue[] = [];
  const add = (path: (string | number)[], message: string) => out.push({ path, message });
  const d = bp.delivery;
  if (d?.mode === "gitops") {
    if (!d.repoURL)
      add(
        ["blueprint", "delivery", "repoURL"],
        "GitOps needs the deploy repository Argo CD reads: set `delivery.repoURL` (e.g. https://github.com/acme/deploy.git)",
      );
    if (!d.branches.staging && !d.branches.prod)
      add(
        ["blueprint", "delivery", "branches"],
        "GitOps needs at least one environment: set `branches.staging` (e.g. develop) and/or `branches.prod` (e.g. main)",
      );
    if (!bp.hosting.kubernetes)
      add(["blueprint", "delivery", "mode"], "GitOps deploys to Kubernetes through Argo CD; this blueprint has no `hosting.kubernetes`: use `mode: push`");
  }
  const controller = TIERS[config.tier].progressiveDelivery;
  const gitops = gitopsTier(bp, config.tier);
  if (config.argocd && !gitops) {
    add(
      ["config", "argocd"],
      `Argo CD runs only on a GitOps tier (the blueprint's \`delivery.mode: gitops\` with a branch for '${config.tier}'); blueprint '${bp.name}' on tier '${config.tier}' has none: remove \`platform:argocd\` from this stack`,
    );
  }
  bp.services.forEach((svc, i) => {
    if (svc.rollout && svc.strategy === "rolling")
      add(
        ["blueprint", "services", i, "rollout"],
        "`rollout` applies to blueGreen and canary services: set `strategy: canary` or `strategy: blueGreen`, or remove it",
      );
  });
  for (const [name, o] of Object.entries(config.overrides.services)) {
    const knobs = o.rollout;
    if (!knobs) continue;
    const at = (...p: string[]) => ["config", "overrides", "services", name, "rollout", ...p];
    const svc = bp.services.find((s) => s.name === name);
    if (!svc) continue; // crossCheck reports the unknown service
    if (svc.strategy === "rolling") {
      add(
        at(),
        `service '${name}' rolls (strategy: rolling): rollout knobs apply to blueGreen/canary services; remove them or set the blueprint's \`strategy\``,
      );
      continue;
    }
    if (knobs.promote && knobs.abort) add(at("abort"), "`promote` and `abort` exclude each other: set one of them (abort wins nothing here; remove the other)");
    if (svc.strategy === "canary") {
      if (knobs.previewImage)
        add(
          at("previewImage"),
          `'${name}' is a canary service: previewImage is for blueGreen; use ${controller === "deployments" ? "canaryImage" : "`image`"}`,
        );
      if (knobs.activeColor) add(at("activeColor"), `'${name}' is a canary service: activeColor is for blueGreen`);
    } else {
      if (knobs.canaryImage)
        add(
          at("canaryImage"),
          `'${name}' is a blue-green service: canaryImage is for canary; use ${controller === "deployments" ? "previewImage" : "`image`"}`,
        );
      if (knobs.weight !== undefined) add(at("weight"), `'${name}' is a blue-green service: all traffic moves at once, there is no weight; use promote`);
    }
    if (controller === "argo-rollouts") {
      for (const k of ["canaryImage", "previewImage"] as const) {
        if (knobs[k])
          add(
            at(k),
            `on tier '${config.tier}' Argo Rollouts runs the release: set the new version as \`platform:overrides.services.${name}.image\`${gitops ? " (GitOps: the image in the deploy repository's values file)" : ""}; the stable version keeps serving until the steps complete`,
          );
      }
      if (knobs.activeColor) add(at("activeColor"), `on tier '${config.tier}' Argo Rollouts owns the colours: use \`promote: true\` to cut over`);
      if (knobs.weight === 0) add(at("weight"), "a 0 % hold is an abort: set `abort: true`");
      const steps = svc.rollout?.canarySteps;
      if (knobs.weight !== undefined && knobs.weight > 0 && steps && !steps.includes(knobs.weight)) {
        add(
          at("weight"),
          `hold at ${knobs.weight} %: not one of the service's canary steps (${steps.join(", ")}); pick one of them or add it to the blueprint's \`rollout.canarySteps\``,
        );
      }
    } else {
      if (knobs.promote !== undefined || knobs.abort !== undefined) {
        add(
          at(knobs.promote !== undefined ? "promote" : "abort"),
          `on tier '${config.tier}' two Deployments carry the release (no controller): cut over with ${svc.strategy === "blueGreen" ? "`activeColor`" : "`weight` (0 = abort, 100 = all)"}`,
        );
      }
    }
  }
  return out;
}
