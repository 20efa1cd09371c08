// cert-manager-e2e runs cert-manager's own controllers and CA injector, from the
// packages of its main module, as one plain process against any API server. The
// end-to-end tests have neither a registry nor images, and the modules of
// cert-manager's commands are not on the Go module proxy, so this is how the real
// issuance and injection code gets to run there.
//
//	cert-manager-e2e --kubeconfig FILE [--cluster-resource-namespace NS] [--v N]
//
// Runs the controllers a Certificate with a SelfSigned or CA issuer needs to become
// Ready and to be renewed, and injects CA bundles into Validating and Mutating
// webhook configurations annotated cert-manager.io/inject-ca-from. No leader
// election, no metrics or health servers; logs go to stderr. SIGTERM or SIGINT stop
// it with status 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	crclient "sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmscheme "github.com/cert-manager/cert-manager/pkg/client/clientset/versioned/scheme"
	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	crapprover "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// The issuer types the issuers and clusterissuers controllers can set up (each
	// registers itself); the other types would pull in cloud SDKs for nothing.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The controllers of cert-manager's default set that SelfSigned and CA issuance
// need; the ACME, Vault and Venafi ones, the ingress shim and the metrics
// controller are left out.
var controllers = []string{
	issuers.ControllerName,
	clusterissuers.ControllerName,
	crapprover.ControllerName,
	crselfsigned.CRControllerName,
	crca.CRControllerName,
	trigger.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	issuing.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
}

func main() {
	// A FlagSet of its own: controller-runtime registers --kubeconfig on the
	// global one when imported.
	fs := flag.NewFlagSet("cert-manager-e2e", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server (required)")
	clusterResourceNamespace := fs.String("cluster-resource-namespace", "kube-system",
		"namespace of the Secrets that ClusterIssuers refer to")
	workers := fs.Int("workers", 5, "workers per controller")
	minBackoff := fs.Duration("certificate-request-minimum-backoff-duration", time.Hour,
		"wait before reissuing after a failed CertificateRequest (doubles on each failure)")
	maxBackoff := fs.Duration("certificate-request-maximum-backoff-duration", 32*time.Hour,
		"longest wait before reissuing after failed CertificateRequests")
	klog.InitFlags(fs)
	// cert-manager logs what it does at level 2 (its Info); 0 shows errors only.
	_ = fs.Set("v", "2")
	_ = fs.Parse(os.Args[1:])
	if *kubeconfig == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: cert-manager-e2e --kubeconfig FILE [--cluster-resource-namespace NS] [--v N]")
		os.Exit(2)
	}

	logf.InitLogs()
	defer logf.FlushLogs()
	ctrl.SetLogger(logf.Log)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log, "cert-manager-e2e")

	opts := controller.ContextOptions{
		Kubeconfig: *kubeconfig,
		// cert-manager's defaults; the API server's flow control overrides them.
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace: *clusterResourceNamespace,
		},
		CertificateOptions: controller.CertificateOptions{
			// cert-manager's default: the Certificate's annotations reach its requests.
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: *minBackoff,
			CertificateRequestMaximumBackoffDuration: *maxBackoff,
		},
	}
	if err := run(ctx, opts, *workers); err != nil {
		logf.Log.Error(err, "cert-manager-e2e failed")
		logf.FlushLogs()
		os.Exit(1)
	}
	logf.Log.Info("stopped")
}

func run(ctx context.Context, opts controller.ContextOptions, workers int) error {
	log := logf.FromContext(ctx)
	restConfig, err := clientcmd.BuildConfigFromFlags("", opts.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", opts.Kubeconfig, err)
	}
	if err := waitForCRDs(ctx, restConfig); err != nil || ctx.Err() != nil {
		return err
	}

	factory, err := controller.NewContextFactory(ctx, opts)
	if err != nil {
		return err
	}
	// The shared informer factories live in every built Context; this one starts them.
	base, err := factory.Build()
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	// Every controller is constructed before the factories start: construction is
	// what asks the factories for the informers they then run.
	for _, name := range controllers {
		construct, ok := controller.Known()[name]
		if !ok {
			return fmt.Errorf("controller %q is not registered", name)
		}
		c, err := construct(factory)
		if err != nil {
			return fmt.Errorf("constructing controller %s: %w", name, err)
		}
		g.Go(func() error {
			log.Info("starting controller", "controller", name)
			return c.Run(workers, gctx)
		})
	}
	base.SharedInformerFactory.Start(gctx.Done())
	base.KubeSharedInformerFactory.Start(gctx.Done())

	injector, err := newInjector(ctx, restConfig)
	if err != nil {
		return err
	}
	g.Go(func() error { return injector.Start(gctx) })

	err = g.Wait()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	return err
}

// newInjector is cert-manager's cainjector for webhook configurations: a
// controller-runtime manager with cert-manager's reconcilers registered.
func newInjector(ctx context.Context, restConfig *rest.Config) (ctrl.Manager, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(kscheme.AddToScheme(scheme))
	utilruntime.Must(cmscheme.AddToScheme(scheme))
	cfg := *restConfig
	cfg.UserAgent = "cert-manager-e2e/cainjector"
	mgr, err := ctrl.NewManager(&cfg, ctrl.Options{
		Scheme: scheme,
		Cache:  crcache.Options{ReaderFailOnMissingInformer: true},
		// As in cainjector: the reconcilers read Secrets from the API server and
		// watch only their metadata, so no informer holds their data.
		Client:         crclient.Options{Cache: &crclient.CacheOptions{DisableFor: []crclient.Object{&corev1.Secret{}}}},
		Metrics:        metricsserver.Options{BindAddress: "0"},
		LeaderElection: false,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the CA injector's manager: %w", err)
	}
	err = cainjector.RegisterAllInjectors(ctx, mgr, cainjector.SetupOptions{
		EnableCertificatesDataSource: true,
		EnabledReconcilersFor: map[string]bool{
			cainjector.ValidatingWebhookConfigurationName: true,
			cainjector.MutatingWebhookConfigurationName:   true,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("registering the CA injector: %w", err)
	}
	return mgr, nil
}

// waitForCRDs waits until the API server serves cert-manager.io/v1 Certificates,
// so that the process may be started before the CRDs are applied: the informers
// would only log errors meanwhile, but the injector's watch of Certificates gives
// up after its cache sync timeout.
func waitForCRDs(ctx context.Context, restConfig *rest.Config) error {
	log := logf.FromContext(ctx)
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return err
	}
	gv := cmapi.SchemeGroupVersion.String()
	logged := time.Time{}
	err = wait.PollUntilContextCancel(ctx, time.Second, true, func(context.Context) (bool, error) {
		resources, err := client.Discovery().ServerResourcesForGroupVersion(gv)
		if err == nil {
			for _, r := range resources.APIResources {
				if r.Name == "certificates" {
					return true, nil
				}
			}
		}
		if time.Since(logged) > 10*time.Second {
			log.Info("waiting for the cert-manager CRDs", "groupVersion", gv, "error", fmt.Sprint(err))
			logged = time.Now()
		}
		return false, nil
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
