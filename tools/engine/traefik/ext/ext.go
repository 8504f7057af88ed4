// Package ext stands in for github.com/traefik/traefik/dynamic/ext, a nested module of the
// Traefik repository (pkg/config/dynamic/ext) that traefik/v3 v3.7.13 requires but that is not in
// the v3 module zip and that the Go module proxy does not serve. Upstream it is exactly these two
// empty types, an extension point of pkg/config/dynamic (HTTPConfiguration.Ext, Router.Ext):
// `git show HEAD:pkg/config/dynamic/ext/ext.go` in the traefik/traefik repository. Ours, not
// Traefik's; nothing in the packages this module links reads a field of them (they have none).
package ext

// HTTP is upstream's empty extension point of the HTTP configuration.
type HTTP struct{}

// Router is upstream's empty extension point of a router.
type Router struct{}
