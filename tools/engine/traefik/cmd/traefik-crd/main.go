// Command traefik-crd runs two pieces of Traefik v3.7.13 for real, for the tests only
// (test/traefik, test/browser). It is OURS; what it links is Traefik's.
//
// The full binary (github.com/traefik/traefik/v3/cmd/traefik) cannot be built here: its static
// configuration imports the ACME provider, which imports every lego DNS provider, and the Go module
// proxy refuses 13 of their SDK modules (tools/engine/README.md, "Traefik"). So this command links
// only the packages that build without them:
//
//	traefik-crd config [--kubeconfig F] [--namespaces a,b] [--allow-cross-namespace=false]
//	                   [--allow-external-name-services=false] [--allow-empty-services=true]
//	                   [--providers kubernetescrd,kubernetes] [--timeout 60s]
//
// TRAEFIK'S CODE: the Kubernetes CRD provider (pkg/provider/kubernetes/crd: IngressRoute,
// Middleware, TraefikService, TLSOption ... → dynamic configuration) and the Kubernetes Ingress
// provider (pkg/provider/kubernetes/ingress: Ingress + router.* annotations → dynamic
// configuration), each through its own Init and Provide, watching the API server of the kubeconfig
// with its own client, with the options the pinned traefik chart's deployment passes by default
// (templates/_podtemplate.tpl: --providers.kubernetescrd, allowCrossNamespace only when true,
// allowExternalNameServices only when true, allowEmptyServices=true; the same for
// --providers.kubernetesingress). OURS: waiting for each provider's first configuration (with a
// timeout), capturing everything the providers log (zerolog, Traefik's logger) and printing
// {"configurations": {provider: dynamic.Configuration}, "logs": [...]} as JSON. Not run: the
// ingress provider's publishedService status update (the chart's default; it writes Ingress
// status, which the tests do not read), and Traefik's server, which would turn the configuration
// into running routers.
//
//	traefik-crd serve --config F
//
// TRAEFIK'S CODE: each middleware of the config, built by Traefik's own constructors from a
// dynamic.Middleware (the JSON of a Middleware CRD's spec, or of the "http.middlewares" the config
// mode prints): headers (pkg/middlewares/headers.New: custom, secure and CORS headers incl.
// preflight, Vary and expose headers), redirectScheme (pkg/middlewares/redirect) and buffering
// (pkg/middlewares/buffering on vulcand/oxy's buffer: maxRequestBodyBytes answers 413). OURS: the
// listeners (loopback, TLS with the given certificate where the entry point says so), choosing a
// route by Host and the longest PathPrefix (Traefik's rule matcher lives in pkg/muxer, which is not
// linked), and the reverse proxy to the backend (net/http/httputil, not pkg/proxy). Any other
// middleware type is refused by name. Prints {"ready":true,"entryPoints":{name:"host:port"}} once
// every listener is bound, and runs until SIGTERM/SIGINT.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/log"
	"github.com/traefik/traefik/v3/pkg/config/dynamic"
	"github.com/traefik/traefik/v3/pkg/middlewares/buffering"
	"github.com/traefik/traefik/v3/pkg/middlewares/headers"
	"github.com/traefik/traefik/v3/pkg/middlewares/redirect"
	"github.com/traefik/traefik/v3/pkg/provider/kubernetes/crd"
	"github.com/traefik/traefik/v3/pkg/provider/kubernetes/ingress"
	"github.com/traefik/traefik/v3/pkg/safe"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "config":
		err = runConfig(os.Args[2:])
	case "serve":
		err = runServe(os.Args[2:])
	case "version":
		fmt.Println("traefik-crd: github.com/traefik/traefik/v3 v3.7.13 (provider and middleware packages only)")
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "traefik-crd:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: traefik-crd config --kubeconfig F [--namespaces a,b] [--allow-cross-namespace=false] [--providers kubernetescrd,kubernetes] [--timeout 60s]\n       traefik-crd serve --config F\n       traefik-crd version")
	os.Exit(2)
}

// logSink collects every zerolog event (JSON lines) the providers write.
type logSink struct {
	mu    sync.Mutex
	lines []json.RawMessage
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := make([]byte, len(p))
	copy(line, p)
	s.lines = append(s.lines, json.RawMessage(strings.TrimSpace(string(line))))
	return len(p), nil
}

func (s *logSink) snapshot() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.lines...)
}

type provider interface {
	Init() error
	Provide(chan<- dynamic.Message, *safe.Pool) error
}

func runConfig(args []string) error {
	fs := flag.NewFlagSet("config", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server to watch")
	namespaces := fs.String("namespaces", "", "comma-separated namespaces to watch (empty: all, the chart's default)")
	allowCross := fs.Bool("allow-cross-namespace", false, "providers.kubernetesCRD.allowCrossNamespace (chart default false)")
	allowExternal := fs.Bool("allow-external-name-services", false, "allowExternalNameServices of both providers (chart default false)")
	allowEmpty := fs.Bool("allow-empty-services", true, "allowEmptyServices of both providers (chart default true)")
	providers := fs.String("providers", "kubernetescrd,kubernetes", "which providers to run: kubernetescrd (CRD), kubernetes (Ingress)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for each provider's first configuration")
	_ = fs.Parse(args)
	if *kubeconfig == "" {
		return errors.New("--kubeconfig (or KUBECONFIG) is required: the API server whose objects the providers read")
	}
	// Both providers pick their client from the environment: KUBECONFIG unless in a cluster.
	os.Unsetenv("KUBERNETES_SERVICE_HOST")
	os.Unsetenv("KUBERNETES_SERVICE_PORT")
	os.Setenv("KUBECONFIG", *kubeconfig)

	sink := &logSink{}
	zerolog.SetGlobalLevel(zerolog.DebugLevel)
	log.Logger = zerolog.New(sink).With().Timestamp().Logger().Level(zerolog.DebugLevel)
	zerolog.DefaultContextLogger = &log.Logger

	var ns []string
	for _, n := range strings.Split(*namespaces, ",") {
		if n = strings.TrimSpace(n); n != "" {
			ns = append(ns, n)
		}
	}
	run := map[string]provider{}
	for _, name := range strings.Split(*providers, ",") {
		switch strings.TrimSpace(name) {
		case crd.ProviderName:
			run[crd.ProviderName] = &crd.Provider{Namespaces: ns, AllowCrossNamespace: *allowCross, AllowExternalNameServices: *allowExternal, AllowEmptyServices: *allowEmpty}
		case "kubernetes":
			run["kubernetes"] = &ingress.Provider{Namespaces: ns, AllowExternalNameServices: *allowExternal, AllowEmptyServices: *allowEmpty}
		case "":
		default:
			return fmt.Errorf("--providers: unknown provider %q (use kubernetescrd and/or kubernetes)", name)
		}
	}
	if len(run) == 0 {
		return errors.New("--providers: name at least one of kubernetescrd, kubernetes")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := safe.NewPool(ctx)
	messages := make(chan dynamic.Message, 16)
	for name, p := range run {
		if err := p.Init(); err != nil {
			return fmt.Errorf("%s: Init: %w", name, err)
		}
		if err := p.Provide(messages, pool); err != nil {
			return fmt.Errorf("%s: Provide: %w", name, err)
		}
	}

	confs := map[string]*dynamic.Configuration{}
	deadline := time.After(*timeout)
	for len(confs) < len(run) {
		select {
		case m := <-messages:
			if _, seen := confs[m.ProviderName]; !seen {
				confs[m.ProviderName] = m.Configuration
			}
		case <-deadline:
			var missing []string
			for name := range run {
				if confs[name] == nil {
					missing = append(missing, name)
				}
			}
			sort.Strings(missing)
			out, _ := json.Marshal(map[string]any{"configurations": confs, "logs": sink.snapshot()})
			fmt.Println(string(out))
			return fmt.Errorf("no configuration from %s within %s (logs above)", strings.Join(missing, ", "), *timeout)
		}
	}
	cancel()
	pool.Stop()
	out, err := json.MarshalIndent(map[string]any{"configurations": confs, "logs": sink.snapshot()}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// serveConfig is OUR format for the serve mode; only "middlewares" holds Traefik's own shape.
type serveConfig struct {
	EntryPoints map[string]struct {
		Address string `json:"address"`
		// TLS: serve HTTPS with CertFile/KeyFile.
		TLS bool `json:"tls"`
	} `json:"entryPoints"`
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	// Middlewares by name, each a Traefik dynamic.Middleware.
	Middlewares map[string]dynamic.Middleware `json:"middlewares"`
	Routes      []struct {
		EntryPoints []string `json:"entryPoints"`
		Host        string   `json:"host"`
		PathPrefix  string   `json:"pathPrefix"`
		// Middlewares in order, outermost first (as a router's middleware list).
		Middlewares []string `json:"middlewares"`
		// Backend: http://127.0.0.1:port (a redirect-only route may leave it empty).
		Backend string `json:"backend"`
	} `json:"routes"`
}

type route struct {
	host, prefix string
	handler      http.Handler
}

func buildMiddleware(ctx context.Context, name string, m dynamic.Middleware, next http.Handler) (http.Handler, error) {
	switch {
	case m.Headers != nil:
		return headers.New(ctx, next, *m.Headers, name)
	case m.RedirectScheme != nil:
		return redirect.NewRedirectScheme(ctx, next, *m.RedirectScheme, name)
	case m.Buffering != nil:
		return buffering.New(ctx, next, *m.Buffering, name)
	default:
		b, _ := json.Marshal(m)
		return nil, fmt.Errorf("middlewares.%s: only headers, redirectScheme and buffering are linked into traefik-crd, got %s", name, b)
	}
}

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	configFile := fs.String("config", "", "JSON: entryPoints, certFile, keyFile, middlewares, routes")
	_ = fs.Parse(args)
	raw, err := os.ReadFile(*configFile)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var cfg serveConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("--config %s: %w", *configFile, err)
	}
	ctx := context.Background()
	byEntryPoint := map[string][]route{}
	for i, r := range cfg.Routes {
		var h http.Handler = http.NotFoundHandler()
		if r.Backend != "" {
			u, err := url.Parse(r.Backend)
			if err != nil || u.Scheme != "http" || u.Host == "" {
				return fmt.Errorf("routes[%d].backend: %q is not http://host:port", i, r.Backend)
			}
			proxy := httputil.NewSingleHostReverseProxy(u)
			director := proxy.Director
			proxy.Director = func(req *http.Request) {
				director(req)
				req.Header.Set("X-Forwarded-Proto", "https")
			}
			h = proxy
		}
		for j := len(r.Middlewares) - 1; j >= 0; j-- {
			name := r.Middlewares[j]
			m, ok := cfg.Middlewares[name]
			if !ok {
				return fmt.Errorf("routes[%d].middlewares: %q is not in middlewares", i, name)
			}
			if h, err = buildMiddleware(ctx, name, m, h); err != nil {
				return err
			}
		}
		for _, ep := range r.EntryPoints {
			if _, ok := cfg.EntryPoints[ep]; !ok {
				return fmt.Errorf("routes[%d].entryPoints: %q is not in entryPoints", i, ep)
			}
			byEntryPoint[ep] = append(byEntryPoint[ep], route{host: strings.ToLower(r.Host), prefix: r.PathPrefix, handler: h})
		}
	}

	bound := map[string]string{}
	var servers []*http.Server
	for name, ep := range cfg.EntryPoints {
		routes := byEntryPoint[name]
		sort.SliceStable(routes, func(a, b int) bool { return len(routes[a].prefix) > len(routes[b].prefix) })
		ln, err := net.Listen("tcp", ep.Address)
		if err != nil {
			return fmt.Errorf("entryPoints.%s: %w", name, err)
		}
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
			ln.Close()
			return fmt.Errorf("entryPoints.%s: %s is not a loopback address", name, ep.Address)
		}
		if ep.TLS {
			cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
			if err != nil {
				return fmt.Errorf("certFile/keyFile: %w", err)
			}
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}})
		}
		bound[name] = ln.Addr().String()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			host := strings.ToLower(req.Host)
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			for _, r := range routes {
				if r.host == host && strings.HasPrefix(req.URL.Path, r.prefix) {
					r.handler.ServeHTTP(w, req)
					return
				}
			}
			http.NotFound(w, req)
		}), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() { _ = srv.Serve(ln) }()
	}
	out, _ := json.Marshal(map[string]any{"ready": true, "entryPoints": bound})
	fmt.Println(string(out))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	for _, s := range servers {
		_ = s.Close()
	}
	return nil
}
