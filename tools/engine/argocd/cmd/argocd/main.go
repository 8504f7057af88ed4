// Command argocd is Argo CD v3.6.1 with only the components the tests run: upstream's ./cmd
// (github.com/argoproj/argo-cd/v3/cmd/main.go) is one binary that dispatches on argv[0] to every
// Argo CD command; this one dispatches the same way, through the same upstream command packages,
// to the three that test/gitops/argocd.real.test.ts starts or that they exec:
//
//	argocd-application-controller   the reconciler (sync, health, self-heal, prune)
//	argocd-repo-server              renders the deploy repository's Helm chart
//	argocd-git-ask-pass             the GIT_ASKPASS helper the repo-server's git client execs
//
// Leaving out the API server, the CLI, Dex, the ApplicationSet, notification and commit servers
// drops about a quarter of the packages of a cold build (tools/engine/README.md, "Argo CD").
// The installed product runs the upstream images from the pinned chart; this binary exists only so
// that the tests run the real controllers.
package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	gitaskpass "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/util/log"
)

// Same as upstream's main: klog (client-go) logs through Argo CD's logrus configuration.
func init() {
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	// Upstream's main calls util/grpc.DisableSRVLookups(), which turns off the DNS SRV
	// (_grpclb._tcp) lookups that grpc's grpclb balancer switches on in its init, and panics if
	// they are already off. This binary does not link google.golang.org/grpc/balancer/grpclb
	// (upstream's ./cmd does, through commands it leaves out), so they are off from the start and
	// the call would panic ("enableSRVLookups expected to be true, but is false").
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" { // upstream's override of argv[0]
		name = v
	}
	var command *cobra.Command
	switch name {
	case common.CommandApplicationController:
		command = appcontroller.NewCommand()
	case common.CommandRepoServer:
		command = reposerver.NewCommand()
	case common.CommandGitAskPass:
		command = gitaskpass.NewCommand()
		command.SilenceErrors = true
		command.SilenceUsage = true
	default:
		os.Stderr.WriteString("argocd: this build has only " + common.CommandApplicationController + ", " +
			common.CommandRepoServer + " and " + common.CommandGitAskPass +
			" (run it through one of those names, or set ARGOCD_BINARY_NAME)\n")
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
