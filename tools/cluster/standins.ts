// Cloud stand-ins: what a managed cluster has and KWOK does not. Each is a small loop in this
// process (list + watch through the API with the admin token); every action is logged.
//
//  - LoadBalancer Services and Ingresses get status.loadBalancer.ingress with a hostname under
//    .elb.example.invalid (the .invalid TLD never resolves; never a routable IP).
//  - Pending PVCs get a PersistentVolume created for them (like a CSI external-provisioner):
//    size, access modes, volume mode, storage class, reclaim policy and mount options taken from
//    the claim and its StorageClass. Immediate classes are provisioned at once; WaitForFirstConsumer
//    claims once the scheduler has set volume.kubernetes.io/selected-node (the volume then gets
//    node affinity to that node's zone). Released volumes with reclaimPolicy Delete are deleted.
//    Claims naming a StorageClass that does not exist, or "kubernetes.io/no-provisioner", stay
//    Pending (as on a real cluster) unless provisionUnknownStorageClasses is set.
//  - Admission webhooks, CRD conversion webhooks and aggregated APIServices are served by
//    workloads, and KWOK pods run nothing. Policy (see README.md):
//      * every Validating/MutatingWebhookConfiguration webhook whose clientConfig is a service
//        (or a non-loopback URL) is rewritten to a loopback HTTPS server run here that allows
//        every request unchanged (caBundle = our own stand-in CA); the original clientConfig is
//        kept in the annotation standin.platform.local/original-client-config;
//      * CRD conversion webhooks likewise, and the server converts by rewriting apiVersion only
//        (what strategy None does);
//      * APIServices backed by a service are deleted (their definition is saved under
//        <dir>/standins/apiservices/), because an unavailable aggregated API breaks discovery
//        for every client and blocks namespace deletion.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type KubeClient, sleep, type WatchEvent } from "./kube";

export const STANDIN_PREFIX = "standin.platform.local";
export const ORIGINAL_CLIENT_CONFIG = `${STANDIN_PREFIX}/original-client-config`;
export const PROVISIONED_BY_STANDIN = `${STANDIN_PREFIX}/provisioned`;
export const LB_DOMAIN = "elb.example.invalid";

export interface StandinOptions {
  client: KubeClient;
  dir: string;
  log: (line: string) => void;
  tls: { cert: string; key: string; caPem: string };
  provisionUnknownStorageClasses?: boolean;
}

export interface Standins {
  /** Base URL of the loopback allow-all admission / conversion server. */
  admissionUrl: string;
  /** Requests the admission server answered, by path (e.g. "/validate/<config>/<webhook>"). */
  admissionCalls: Map<string, number>;
  stop(): Promise<void>;
}

function short(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 8);
}

export function lbHostname(kind: "svc" | "ing", ns: string, name: string, uid: string): string {
  // DNS labels are at most 63 characters.
  const label = `${name}-${ns}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 44)
    .replace(/-+$/, "");
  return `${label}-${kind}-${short(uid)}.${LB_DOMAIN}`;
}

function isLoopbackUrl(u: string | undefined): boolean {
  if (!u) return false;
  try {
    const h = new URL(u).hostname;
    return h === "127.0.0.1" || h === "localhost" || h === "[::1]" || h === "::1";
  } catch {
    return false;
  }
}

function readBody(req: import("node:http").IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      } catch (e) {
        reject(e);
      }
    });
    req.on("error", reject);
  });
}

async function startAdmissionServer(opts: StandinOptions, calls: Map<string, number>): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    try {
      const review = await readBody(req);
      calls.set(path, (calls.get(path) ?? 0) + 1);
      let out: unknown;
      if (review.kind === "ConversionReview") {
        const r = review.request ?? {};
        const converted = (r.objects ?? []).map((o: any) => ({ ...o, apiVersion: r.desiredAPIVersion }));
        opts.log(`standin: conversion ${path}: ${converted.length} object(s) to ${r.desiredAPIVersion} (apiVersion rewritten only)`);
        out = { apiVersion: review.apiVersion, kind: "ConversionReview", response: { uid: r.uid, convertedObjects: converted, result: { status: "Success" } } };
      } else {
        const r = review.request ?? {};
        const what = `${r.operation ?? "?"} ${r.resource?.resource ?? r.kind?.kind ?? "?"} ${r.namespace ? `${r.namespace}/` : ""}${r.name ?? ""}`;
        opts.log(`standin: admission ${path}: allowed ${what} (webhook logic not exercised)`);
        out = { apiVersion: review.apiVersion ?? "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: r.uid, allowed: true } };
      }
      const data = JSON.stringify(out);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
      res.end(data);
    } catch (e) {
      res.writeHead(400);
      res.end(String(e));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, url: `https://127.0.0.1:${port}` };
}

export async function startStandins(opts: StandinOptions): Promise<Standins> {
  const { client: k, log } = opts;
  const calls = new Map<string, number>();
  const { server, url } = await startAdmissionServer(opts, calls);
  log(`standin: allow-all admission/conversion server on ${url} (CA: stand-in CA)`);
  const caBundle = Buffer.from(opts.tls.caPem).toString("base64");
  const ac = new AbortController();
  const signal = ac.signal;
  const onError = (what: string) => (err: unknown) => log(`standin: ${what}: ${String(err).slice(0, 300)}`);
  const loops: Promise<void>[] = [];
  const once = new Set<string>();
  const logOnce = (key: string, line: string) => {
    if (once.has(key)) return;
    once.add(key);
    log(line);
  };

  // --- LoadBalancer Services ---------------------------------------------------------------
  loops.push(
    k.informer(
      "/api/v1/services",
      async ({ type, object: s }: WatchEvent) => {
        if (type === "DELETED" || s.spec?.type !== "LoadBalancer" || s.metadata?.deletionTimestamp) return;
        if ((s.status?.loadBalancer?.ingress ?? []).length > 0) return;
        const hostname = lbHostname("svc", s.metadata.namespace, s.metadata.name, s.metadata.uid);
        const r = await k.mergePatch(`/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status`, {
          status: { loadBalancer: { ingress: [{ hostname }] } },
        });
        if (r.status === 200) log(`standin: LoadBalancer Service ${s.metadata.namespace}/${s.metadata.name} -> ${hostname}`);
        else if (r.status !== 404) log(`standin: LoadBalancer Service ${s.metadata.namespace}/${s.metadata.name}: HTTP ${r.status} ${r.body?.message ?? ""}`);
      },
      signal,
      onError("services"),
    ),
  );

  // --- Ingresses -----------------------------------------------------------------------------
  loops.push(
    k.informer(
      "/apis/networking.k8s.io/v1/ingresses",
      async ({ type, object: i }: WatchEvent) => {
        if (type === "DELETED" || i.metadata?.deletionTimestamp) return;
        if ((i.status?.loadBalancer?.ingress ?? []).length > 0) return;
        const hostname = lbHostname("ing", i.metadata.namespace, i.metadata.name, i.metadata.uid);
        const r = await k.mergePatch(`/apis/networking.k8s.io/v1/namespaces/${i.metadata.namespace}/ingresses/${i.metadata.name}/status`, {
          status: { loadBalancer: { ingress: [{ hostname }] } },
        });
        if (r.status === 200) log(`standin: Ingress ${i.metadata.namespace}/${i.metadata.name} -> ${hostname}`);
        else if (r.status !== 404) log(`standin: Ingress ${i.metadata.namespace}/${i.metadata.name}: HTTP ${r.status} ${r.body?.message ?? ""}`);
      },
      signal,
      onError("ingresses"),
    ),
  );

  // --- Volume provisioning -------------------------------------------------------------------
  const provisioning = new Set<string>();
  async function provision(pvc: any): Promise<void> {
    const ns = pvc.metadata.namespace;
    const name = pvc.metadata.name;
    const key = `${ns}/${name}`;
    if (pvc.metadata.deletionTimestamp || pvc.spec?.volumeName || pvc.status?.phase !== "Pending") return;
    if (provisioning.has(pvc.metadata.uid)) return;
    const className: string | undefined = pvc.spec?.storageClassName ?? undefined;
    if (className === undefined || className === "") {
      logOnce(`nocls:${pvc.metadata.uid}`, `standin: PVC ${key} has no storage class (and there is no default); left Pending for a statically created PV`);
      return;
    }
    const cr = await k.get(`/apis/storage.k8s.io/v1/storageclasses/${className}`);
    let sc: any = cr.status === 200 ? cr.body : undefined;
    if (!sc) {
      if (!opts.provisionUnknownStorageClasses) {
        logOnce(`nosc:${pvc.metadata.uid}`, `standin: PVC ${key}: StorageClass "${className}" does not exist; left Pending (as a real cluster would)`);
        return;
      }
      sc = { provisioner: "standin.platform.local/unknown-class", reclaimPolicy: "Delete", volumeBindingMode: "Immediate" };
    }
    if (sc.provisioner === "kubernetes.io/no-provisioner") {
      logOnce(`noprov:${pvc.metadata.uid}`, `standin: PVC ${key}: StorageClass "${className}" has no provisioner; left Pending for a static PV`);
      return;
    }
    const selectedNode: string | undefined = pvc.metadata.annotations?.["volume.kubernetes.io/selected-node"];
    if (sc.volumeBindingMode === "WaitForFirstConsumer" && !selectedNode) return; // the scheduler has not picked a node yet
    provisioning.add(pvc.metadata.uid);
    try {
      let nodeAffinity: any;
      if (selectedNode) {
        const nr = await k.get(`/api/v1/nodes/${selectedNode}`);
        const zone = nr.body?.metadata?.labels?.["topology.kubernetes.io/zone"];
        nodeAffinity = zone
          ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [zone] }] }] } }
          : { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [selectedNode] }] }] } };
      } else if (sc.allowedTopologies?.[0]?.matchLabelExpressions?.length) {
        nodeAffinity = {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: sc.allowedTopologies[0].matchLabelExpressions.map((e: any) => ({ key: e.key, operator: "In", values: e.values })) },
            ],
          },
        };
      }
      const size = pvc.spec?.resources?.requests?.storage ?? "1Gi";
      const pvName = `pvc-${pvc.metadata.uid}`;
      const pv = {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: {
          name: pvName,
          annotations: { "pv.kubernetes.io/provisioned-by": sc.provisioner, [PROVISIONED_BY_STANDIN]: "true" },
        },
        spec: {
          capacity: { storage: size },
          accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ["ReadWriteOnce"],
          volumeMode: pvc.spec?.volumeMode ?? "Filesystem",
          storageClassName: className,
          persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? "Delete",
          ...(sc.mountOptions ? { mountOptions: sc.mountOptions } : {}),
          claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: ns, name, uid: pvc.metadata.uid },
          // Nothing is mounted (KWOK pods run no containers); hostPath keeps the attach/detach
          // controller out of it (a csi source would make it create VolumeAttachments nobody answers).
          hostPath: { path: `/var/lib/standin-volumes/${pvName}` },
          ...(nodeAffinity ? { nodeAffinity } : {}),
        },
      };
      const r = await k.create("/api/v1/persistentvolumes", pv);
      if (r.status === 201) {
        log(
          `standin: provisioned PV ${pvName} (${size}, ${pv.spec.accessModes.join(",")}, class ${className}${selectedNode ? `, selected node ${selectedNode}` : ""}) for PVC ${key}`,
        );
      } else if (r.status !== 409) {
        log(`standin: provisioning PV for PVC ${key} failed: HTTP ${r.status} ${r.body?.message ?? ""}`);
        provisioning.delete(pvc.metadata.uid);
      }
    } catch (e) {
      provisioning.delete(pvc.metadata.uid);
      throw e;
    }
  }
  loops.push(
    k.informer(
      "/api/v1/persistentvolumeclaims",
      async ({ type, object }: WatchEvent) => {
        if (type === "DELETED") provisioning.delete(object.metadata.uid);
        else await provision(object);
      },
      signal,
      onError("persistentvolumeclaims"),
    ),
  );
  // A claim whose class is created after the claim gets no watch event: resync pending claims.
  loops.push(
    (async () => {
      while (!signal.aborted) {
        await sleep(3000, signal);
        if (signal.aborted) break;
        try {
          const list = await k.must("GET", "/api/v1/persistentvolumeclaims");
          for (const pvc of list.items ?? []) await provision(pvc);
        } catch (e) {
          if (!signal.aborted) onError("pvc resync")(e);
        }
      }
    })(),
  );
  loops.push(
    k.informer(
      "/api/v1/persistentvolumes",
      async ({ type, object: pv }: WatchEvent) => {
        if (type === "DELETED" || pv.metadata?.deletionTimestamp) return;
        if (pv.metadata?.annotations?.[PROVISIONED_BY_STANDIN] !== "true") return;
        if (pv.status?.phase !== "Released" || pv.spec?.persistentVolumeReclaimPolicy !== "Delete") return;
        const r = await k.delete(`/api/v1/persistentvolumes/${pv.metadata.name}`);
        if (r.status === 200 || r.status === 202) log(`standin: deleted released PV ${pv.metadata.name} (reclaimPolicy Delete)`);
      },
      signal,
      onError("persistentvolumes"),
    ),
  );

  // --- Admission webhooks ----------------------------------------------------------------------
  function rewriteWebhooks(kind: "validating" | "mutating", cfg: any): boolean {
    const originals: Record<string, unknown> = (() => {
      try {
        return JSON.parse(cfg.metadata?.annotations?.[ORIGINAL_CLIENT_CONFIG] ?? "{}");
      } catch {
        return {};
      }
    })();
    let changed = false;
    for (const w of cfg.webhooks ?? []) {
      const cc = w.clientConfig ?? {};
      const target = `${url}/${kind === "validating" ? "validate" : "mutate"}/${cfg.metadata.name}/${w.name}`;
      if (cc.url === target && cc.caBundle === caBundle) continue;
      if (!cc.service && isLoopbackUrl(cc.url)) continue; // the caller's own loopback webhook: leave it
      const { caBundle: origCa, ...rest } = cc;
      originals[w.name] = { ...rest, ...(origCa ? { caBundleSha256: createHash("sha256").update(String(origCa)).digest("hex") } : {}) };
      w.clientConfig = { url: target, caBundle };
      changed = true;
    }
    if (changed) {
      cfg.metadata.annotations = { ...cfg.metadata.annotations, [ORIGINAL_CLIENT_CONFIG]: JSON.stringify(originals) };
    }
    return changed;
  }
  for (const kind of ["validating", "mutating"] as const) {
    const plural = `${kind}webhookconfigurations`;
    loops.push(
      k.informer(
        `/apis/admissionregistration.k8s.io/v1/${plural}`,
        async ({ type, object: cfg }: WatchEvent) => {
          if (type === "DELETED" || cfg.metadata?.deletionTimestamp) return;
          if (!rewriteWebhooks(kind, cfg)) return;
          const r = await k.request("PUT", `/apis/admissionregistration.k8s.io/v1/${plural}/${cfg.metadata.name}`, {
            ...cfg,
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: kind === "validating" ? "ValidatingWebhookConfiguration" : "MutatingWebhookConfiguration",
          });
          if (r.status === 200) {
            log(
              `standin: ${kind} webhook configuration ${cfg.metadata.name}: ${(cfg.webhooks ?? []).length} webhook(s) now answered by the allow-all stand-in (original clientConfig in annotation ${ORIGINAL_CLIENT_CONFIG})`,
            );
          } else if (r.status !== 409 && r.status !== 404) {
            log(`standin: rewriting ${kind} webhook configuration ${cfg.metadata.name} failed: HTTP ${r.status} ${r.body?.message ?? ""}`);
          } // 409: changed meanwhile; the watch brings the new version
        },
        signal,
        onError(plural),
      ),
    );
  }

  // --- CRD conversion webhooks ------------------------------------------------------------------
  loops.push(
    k.informer(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      async ({ type, object: crd }: WatchEvent) => {
        if (type === "DELETED" || crd.metadata?.deletionTimestamp) return;
        const conv = crd.spec?.conversion;
        if (conv?.strategy !== "Webhook" || !conv.webhook?.clientConfig) return;
        const cc = conv.webhook.clientConfig;
        const target = `${url}/convert/${crd.metadata.name}`;
        if ((cc.url === target && cc.caBundle === caBundle) || (!cc.service && isLoopbackUrl(cc.url))) return;
        const { caBundle: origCa, ...rest } = cc;
        const original = { ...rest, ...(origCa ? { caBundleSha256: createHash("sha256").update(String(origCa)).digest("hex") } : {}) };
        const r = await k.mergePatch(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, {
          metadata: { annotations: { [ORIGINAL_CLIENT_CONFIG]: JSON.stringify(original) } },
          spec: { conversion: { strategy: "Webhook", webhook: { clientConfig: { service: null, url: target, caBundle } } } },
        });
        if (r.status === 200) log(`standin: CRD ${crd.metadata.name}: conversion webhook now answered by the stand-in (apiVersion-only conversion)`);
        else if (r.status !== 404) log(`standin: rewriting CRD ${crd.metadata.name} conversion failed: HTTP ${r.status} ${r.body?.message ?? ""}`);
      },
      signal,
      onError("customresourcedefinitions"),
    ),
  );

  // --- Aggregated APIServices -------------------------------------------------------------------
  const apisvcDir = join(opts.dir, "standins", "apiservices");
  loops.push(
    k.informer(
      "/apis/apiregistration.k8s.io/v1/apiservices",
      async ({ type, object: a }: WatchEvent) => {
        if (type === "DELETED" || a.metadata?.deletionTimestamp || !a.spec?.service) return;
        mkdirSync(apisvcDir, { recursive: true });
        writeFileSync(
          join(apisvcDir, `${a.metadata.name}.json`),
          JSON.stringify({ ...a, apiVersion: "apiregistration.k8s.io/v1", kind: "APIService" }, null, 2),
        );
        const r = await k.delete(`/apis/apiregistration.k8s.io/v1/apiservices/${a.metadata.name}`);
        if (r.status === 200 || r.status === 202) {
          log(
            `standin: deleted aggregated APIService ${a.metadata.name} (backend service ${a.spec.service.namespace}/${a.spec.service.name} runs on KWOK and cannot answer; saved to ${join(apisvcDir, `${a.metadata.name}.json`)})`,
          );
        }
      },
      signal,
      onError("apiservices"),
    ),
  );

  return {
    admissionUrl: url,
    admissionCalls: calls,
    async stop() {
      ac.abort();
      await Promise.allSettled(loops);
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
