using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Issuer;
using Sigil.Observability;
using Sigil.Reconciliation;
using Sigil.Credentials;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.X509;
using Sigil.Runtime;

namespace Sigil.Operator;

/// <summary>
/// The operator process: informers (in every replica, so a new leader starts warm), the CA, health and
/// metrics, and, only while this replica leads (or always, without --leader-elect), the controller.
/// </summary>
internal sealed class OperatorHost(OperatorOptions options, IKubernetes client, ILoggerFactory loggers, TimeProvider time)
{
    public const string LeaseName = "sigil-leader";

    private readonly ILogger _logger = loggers.CreateLogger("sigil");
    // The queue of the leadership term under way, where the informer handlers below add keys.
    private readonly CurrentQueue _queue = new();
    private Informer<ServiceIdentity>? _identities;
    // RunAsync owns the CA manager; these reach it while it runs.
    private Func<TrustSnapshot>? _trust;
    private Action? _wakeAuthority;

    public SigilMetrics Metrics { get; } = new();
    /// <summary>Passes over each identity, begun and finished, across leadership terms (tests wait on them).</summary>
    public PassCounts Passes { get; } = new();

    /// <summary>The resourceVersion of the identity in this process's cache (what its next pass will read), or null.</summary>
    public string? CachedResourceVersion(string key) => _identities?.Get(key)?.Metadata.ResourceVersion;

    /// <summary>For crash tests: runs between the steps of an API-key rotation.</summary>
    public Func<string, CancellationToken, Task>? StepHook { get; init; }

    /// <summary>The rate limit the client was built with (--kube-api-qps, --kube-api-burst), reported in logs and metrics.</summary>
    public KubeApiLimiter? Limiter { get; init; }

    /// <summary>For crash tests: runs after each CA lifecycle step is stored.</summary>
    public Func<string, CancellationToken, Task>? CaStepHook { get; init; }

    /// <summary>The root of trust this process holds (after start).</summary>
    public TrustSnapshot? Trust => _trust?.Invoke();
    public bool Ready { get; private set; }

    /// <summary>Identities waiting for a pass (for tests that wait until the operator is idle).</summary>
    public int QueueDepth => _queue.Queue?.Depth ?? 0;
    public bool IsLeader { get; private set; }
    public int? MetricsPort { get; private set; }
    public int? HealthPort { get; private set; }
    /// <summary>The port the issuer (OIDC discovery, /keys) listens on, once started.</summary>
    public int? IssuerPort { get; private set; }
    /// <summary>The effective issuer URL, once the issuer listens: discovery's issuer and every JWT's iss.</summary>
    public string? IssuerUrl { get; private set; }
    /// <summary>The issuer's own certificate, as served now (for tests that watch it rotate).</summary>
    public Issuer.ServingCertificate? IssuerCertificate { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        if (options.Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
        _logger.LogInformation("Sigil operator {Identity} starting: trust domain {TrustDomain}, namespace {Namespace}, leader election {LeaderElect}",
            options.Identity, options.TrustDomain, options.Namespace, options.LeaderElect);
        if (Limiter is not null)
        {
            _logger.LogInformation("Requests to the Kubernetes API are limited to {Qps} per second, bursts of {Burst} (--kube-api-qps, --kube-api-burst)", Limiter.Qps, Limiter.Burst);
        }
        await using var health = await MonitoringServer.StartAsync(options.MonitoringAddress, options.HealthPort, MonitoringServer.Health(() => true, () => Ready), ct);
        await using var metrics = await MonitoringServer.StartAsync(options.MonitoringAddress, options.MetricsPort, MonitoringServer.Metrics(Metrics), ct);
        (HealthPort, MetricsPort) = (health.Port, metrics.Port);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var identities = _identities = new Informer<ServiceIdentity>(Sources.ServiceIdentities(client), time, _logger, CacheTransforms.Slim);
        var secrets = new Informer<V1Secret>(Sources.ManagedSecrets(client), time, _logger, s => SecretReader.Compact(CacheTransforms.Slim(s)));
        var configMaps = new Informer<V1ConfigMap>(Sources.ManagedConfigMaps(client), time, _logger, CacheTransforms.Slim);
        var namespaces = new Informer<V1Namespace>(Sources.Namespaces(client), time, _logger, ClaimContext.Slim);
        var claims = new ClaimContext(identities, namespaces, options.ClusterDomain);
        var tokenClients = new Issuer.Token.InformerTokenClients(identities, secrets, options.TrustDomain);
        Subscribe(identities, secrets, configMaps);
        SubscribeClaims(identities, secrets, namespaces, claims);
        var informers = new[] { identities.RunAsync(stop.Token), secrets.RunAsync(stop.Token), configMaps.RunAsync(stop.Token), namespaces.RunAsync(stop.Token) };
        try
        {
            // An informer that stops on an error it does not retry ends the operator with that error instead of a wait for
            // a sync that never comes (a NativeAOT build's missing JSON metadata once did that, with nothing logged).
            var synced = Task.WhenAll(identities.Synced, secrets.Synced, configMaps.Synced, namespaces.Synced);
            var stopped = Task.WhenAny(informers);
            if (await Task.WhenAny(synced, stopped).WaitAsync(ct) != synced)
            {
                await await stopped;
                throw new InvalidOperationException("an informer stopped before its cache synced");
            }
            var events = new EventRecorder(client, options.Identity, time, loggers.CreateLogger("sigil.events"));
            var secretAccess = new SecretAccess(client, secrets);
            var bundles = new TrustBundlePublisher(client, configMaps, time, _logger);
            using var authority = new AuthorityManager(client, options, secretAccess, bundles, identities, events, Metrics, time, _logger) { StepHook = CaStepHook };
            (_trust, _wakeAuthority) = (() => authority.Current, authority.Wake);
            await authority.LoadAsync(ct);
            // Every replica serves the issuer, leader or not, from the snapshot it holds; it stops before the CA manager goes.
            await using var issuer = await IssuerServer.StartAsync(options, () => authority.Current, time, _logger, ct, tokenClients, Metrics);
            (IssuerPort, IssuerUrl, IssuerCertificate) = (issuer.Port, issuer.Url, issuer.Certificate);
            // From here on the options name the issuer as it listens (a free port, under sigil local), so iss matches discovery.
            var running = options with { IssuerUrl = issuer.Url };
            Ready = true;
            _logger.LogInformation("Caches synced: {Identities} identities; ready", identities.Count);
            var reconciler = new IdentityReconciler(client, identities, secretAccess, bundles, () => authority.Current, running, events, Metrics, time, _logger, StepHook) { Claims = claims };
            using var stopLeading = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var leading = options.LeaderElect ? RunWithLeaderElectionAsync(reconciler, authority, stopLeading.Token) : LeadAsync(reconciler, authority, stopLeading.Token);
            // Informers retry what the API does to them; one that stops on anything else (an object it cannot read) would
            // leave a cache that never changes again under an operator that looks healthy. Stop instead, with its error, so
            // the process exits, the pod restarts and its log says why.
            if (await Task.WhenAny(leading, stopped) == stopped && !ct.IsCancellationRequested)
            {
                await stopLeading.CancelAsync();
                try
                {
                    await leading;
                }
                catch (OperationCanceledException) when (stopLeading.IsCancellationRequested)
                {
                }
                await await stopped;
                throw new InvalidOperationException("an informer stopped while the operator ran");
            }
            await leading;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            Ready = false;
            (_trust, _wakeAuthority) = (null, null);
            await stop.CancelAsync();
            await Task.WhenAll(informers);
            _logger.LogInformation("Sigil operator {Identity} stopped", options.Identity);
        }
    }

    private void Subscribe(Informer<ServiceIdentity> identities, Informer<V1Secret> secrets, Informer<V1ConfigMap> configMaps)
    {
        // Identities that name an audience: only they can be callers of another. With 10,000 identities and few callers,
        // looking for an identity's callers among them rather than among everyone keeps a round of creations linear.
        var callers = new ConcurrentDictionary<string, ServiceIdentity>(StringComparer.Ordinal);
        identities.OnChange((old, current) =>
        {
            if (current is not null && Consent.NamesAudiences(current))
            {
                callers[Informer<ServiceIdentity>.Key(current)] = current;
            }
            else
            {
                callers.TryRemove(Informer<ServiceIdentity>.Key((current ?? old)!), out _);
            }
        });
        // A pass over one identity can depend on others (callers and receivers of API keys), so their passes follow.
        void AddWithRelated(ServiceIdentity identity)
        {
            _queue.Add(Informer<ServiceIdentity>.Key(identity));
            var candidates = Consent.NamesAudiences(identity) ? identities.Enumerate() : callers.Values;
            foreach (var related in Consent.Related(identity, candidates, options.TrustDomain))
            {
                _queue.Add(Informer<ServiceIdentity>.Key(related));
            }
        }
        identities.OnChange((old, current) =>
        {
            // Other identities depend on this one's spec (audiences, acceptsFrom) and existence, never on its status
            // or annotations: a status write, which every pass may make, triggers only this identity's own pass.
            if (old is not null && current is not null && old.Metadata.Generation == current.Metadata.Generation)
            {
                _queue.Add(Informer<ServiceIdentity>.Key(current));
                return;
            }
            AddWithRelated((current ?? old)!);
            if (old is not null && current is not null)
            {
                AddWithRelated(old);
            }
        });
        secrets.OnChange((old, current) =>
        {
            var secret = (current ?? old)!;
            if (secret.Metadata.NamespaceProperty == options.Namespace
                && secret.Metadata.Name is AuthorityManager.DefaultSecretName or AuthorityManager.TrustStateSecretName or AuthorityManager.JwtKeysSecretName)
            {
                // An annotation asking for a rotation, or another replica's step (a follower re-reads it at once).
                _wakeAuthority?.Invoke();
                return;
            }
            if (secret.Metadata.Labels is { } labels && labels.TryGetValue(Labels.Identity, out var owner))
            {
                // A verifier that appears or disappears needs its callers' keys put back; edits are the callers' own writes.
                if ((old is null || current is null) && identities.Get(secret.Metadata.NamespaceProperty, owner) is { } identity
                    && secret.Metadata.Name.EndsWith(ApiKeyRendering.VerifierSuffix, StringComparison.Ordinal))
                {
                    AddWithRelated(identity);
                }
                else
                {
                    _queue.Add(Informer<ServiceIdentity>.Key(secret.Metadata.NamespaceProperty, owner));
                }
            }
        });
        configMaps.OnChange((old, current) =>
        {
            static string? Bundle(V1ConfigMap? cm) => cm?.Data is { } data && data.TryGetValue("ca.crt", out var pem) ? pem : null;
            if (current is null || Bundle(current) != Bundle(old))
            {
                var ns = (current ?? old)!.Metadata.NamespaceProperty;
                foreach (var identity in identities.Enumerate().Where(i => i.Metadata.NamespaceProperty == ns))
                {
                    _queue.Add(Informer<ServiceIdentity>.Key(identity));
                }
            }
        });
        Metrics.Registry.AddBeforeCollectCallback(() =>
        {
            Metrics.QueueDepth.Set(_queue.Queue?.Depth ?? 0);
            if (Limiter is not null)
            {
                Metrics.KubeApiThrottled.IncTo(Limiter.Waited.TotalSeconds);
            }
        });
    }

    /// <summary>Passes that the name and Secret policies need beyond an identity's own changes.</summary>
    private void SubscribeClaims(Informer<ServiceIdentity> identities, Informer<V1Secret> secrets, Informer<V1Namespace> namespaces, ClaimContext claims)
    {
        // A Secret of Sigil's that goes away (its owner deleted, garbage-collected later) frees the name for whoever else
        // claims it; that identity last saw it as another identity's Secret and has nothing else that wakes it.
        secrets.OnChange((old, current) =>
        {
            if (current is null && old is not null)
            {
                foreach (var name in claims.ClaimantsOf(old.Metadata.NamespaceProperty, old.Metadata.Name))
                {
                    _queue.Add(Informer<ServiceIdentity>.Key(old.Metadata.NamespaceProperty, name));
                }
            }
        });
        // When a claim on a Secret name appears, moves or goes, the identities sharing that name decide again who owns it
        // (so the loser of a SecretConflict is issued once the winner lets go). Status writes leave the generation alone.
        identities.OnChange((old, current) =>
        {
            if (old is not null && current is not null && old.Metadata.Generation == current.Metadata.Generation)
            {
                return;
            }
            foreach (var sharing in new[] { old, current }.OfType<ServiceIdentity>().SelectMany(claims.SharingSecretsWith))
            {
                _queue.Add(Informer<ServiceIdentity>.Key(sharing));
            }
        });
        // Granting (or withdrawing) names on a Namespace re-decides its identities without anyone touching them.
        namespaces.OnChange((old, current) =>
        {
            static string? Allowed(V1Namespace? ns) => ns?.Metadata.Annotations?.TryGetValue(Labels.AllowedDnsNamesAnnotation, out var v) == true ? v : null;
            if (Allowed(old) == Allowed(current))
            {
                return;
            }
            var ns = (current ?? old)!.Metadata.Name;
            foreach (var identity in identities.Enumerate().Where(i => i.Metadata.NamespaceProperty == ns))
            {
                _queue.Add(Informer<ServiceIdentity>.Key(identity));
            }
        });
    }

    /// <summary>Runs the controller for one leadership term (or for good, without leader election).</summary>
    private async Task LeadAsync(IdentityReconciler reconciler, AuthorityManager authority, CancellationToken ct)
    {
        // The lifecycle first: a leader that was a follower may hold an old snapshot, and passes must not issue from it.
        // Until a fresh read succeeds, no pass may run: it could sign with a CA that has since retired, or write an old bundle.
        while (true)
        {
            try
            {
                await authority.StepAsync(ct);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _logger.LogWarning("Could not read the CA state at the start of leadership ({Error}); retrying in 5s before reconciling", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), time, ct);
            }
        }
        using var queue = new WorkQueue(time);
        // Every identity cached so far, and from here on each change the informers report: none falls between the two.
        _queue.Open(queue, _identities!.Enumerate().Select(Informer<ServiceIdentity>.Key));
        // From here until the finally below this process reconciles; an alert watches that some replica always does.
        Metrics.Leader.Set(1);
        var controller = new Controller("serviceidentity", queue, Passes.Around(reconciler.ReconcileAsync, CachedResourceVersion), options.Workers, _logger);
        controller.Failed += (key, _) =>
        {
            var slash = key.IndexOf('/');
            Metrics.IssuanceErrors.WithLabels(key[..slash], key[(slash + 1)..]).Inc();
        };
        using var resync = time.CreateTimer(_ =>
        {
            foreach (var identity in _identities.Enumerate())
            {
                queue.Add(Informer<ServiceIdentity>.Key(identity));
            }
        }, null, options.ResyncPeriod, options.ResyncPeriod);
        using var trimmer = new BurstTrimmer(() => controller.Passes, () => queue.Depth, BurstTrimmer.CollectAggressively).Start(time);
        authority.TrustChanged = () =>
        {
            foreach (var identity in _identities.Enumerate())
            {
                queue.Add(Informer<ServiceIdentity>.Key(identity));
            }
        };
        using var stopAuthority = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var lifecycle = authority.RunAsync(stopAuthority.Token);
        try
        {
            await controller.RunAsync(ct);
        }
        finally
        {
            Metrics.Leader.Set(0);
            Metrics.ForgetIdentities();
            authority.TrustChanged = null;
            await stopAuthority.CancelAsync();
            await lifecycle;
            _queue.Close();
            queue.ShutDown();
        }
    }

    private async Task RunWithLeaderElectionAsync(IdentityReconciler reconciler, AuthorityManager authority, CancellationToken ct)
    {
        var lease = new LeaseLock(client, options.Namespace, LeaseName, options.Identity);
        while (!ct.IsCancellationRequested)
        {
            using var elector = new LeaderElector(new LeaderElectionConfig(lease)
            {
                LeaseDuration = options.LeaseDuration,
                RenewDeadline = options.RenewDeadline,
                RetryPeriod = options.RetryPeriod,
            });
            using var term = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // Until it leads, this replica follows the leader's CA and JWT key steps: it serves /keys and signs tokens too.
            using var following = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var follower = authority.FollowAsync(following.Token);
            async Task FollowThenLeadAsync()
            {
                await following.CancelAsync();
                await follower;
                await LeadAsync(reconciler, authority, term.Token);
            }
            Task? work = null;
            elector.OnStartedLeading += () =>
            {
                IsLeader = true;
                _logger.LogInformation("{Identity} became the leader", options.Identity);
                work = FollowThenLeadAsync();
            };
            elector.OnStoppedLeading += () =>
            {
                IsLeader = false;
                if (ct.IsCancellationRequested)
                {
                    _logger.LogInformation("{Identity} stops leading: the operator is stopping", options.Identity);
                }
                else
                {
                    _logger.LogWarning("{Identity} lost the leadership; stopping all work", options.Identity);
                }
                term.Cancel();
            };
            try
            {
                await elector.RunUntilLeadershipLostAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            await term.CancelAsync();
            await following.CancelAsync();
            await follower;
            IsLeader = false;
            if (work is not null)
            {
                try
                {
                    await work;
                }
                catch (OperationCanceledException)
                {
                }
                if (ct.IsCancellationRequested)
                {
                    await ReleaseLeaseAsync();
                }
            }
        }
    }

    /// <summary>
    /// Hands the Lease back as this replica stops (SIGTERM), as client-go's ReleaseOnCancel does, once its work has
    /// stopped: in a rolling update the next replica leads at its next retry instead of waiting the lease out.
    /// KubernetesClient's LeaderElector does not release.
    /// </summary>
    private async Task ReleaseLeaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, options.Namespace, cancellationToken: timeout.Token);
            if (lease.Spec?.HolderIdentity != options.Identity)
            {
                return;
            }
            // Empty, as client-go releases: KubernetesClient's elector takes a null holder for a missing Lease and never acquires.
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = time.GetUtcNow().UtcDateTime;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, LeaseName, options.Namespace, cancellationToken: timeout.Token);
            _logger.LogInformation("{Identity} released the leadership (Lease {Namespace}/{Lease})", options.Identity, options.Namespace, LeaseName);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Best effort: a shutdown must not fail over a Lease that will expire anyway.
            _logger.LogWarning("{Identity} could not release Lease {Namespace}/{Lease} ({Reason}); the next leader waits for it to expire",
                options.Identity, options.Namespace, LeaseName, e.Message);
        }
    }
}
