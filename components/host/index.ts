/**
 * The single-host ("droplet") topology: `BetaHost` (the EC2 VM) and `HostApp` (the containers
 * on it through Docker over SSH), plus the pure planners they are built from.
 */
export { BetaHost, BACKUP_PREFIX } from "./vm";
export { HostApp } from "./app";
export type { BetaHostArgs, HostAppArgs } from "./args";
export { renderCaddyConfig, dialsOf } from "./caddy";
export { planProxy, connectionLimitFor } from "./proxy";
export { planHostApp, SPA_ROOT } from "./plan";
export { renderCloudInit } from "./cloudinit";
export { planFirewall, amiQuery } from "./vm-plan";
