using System.Collections.Concurrent;
using Prometheus;

namespace Sigil.Observability;

/// <summary>The metrics PRODUCT.md names, in a registry of their own so several operators can share a process (tests).</summary>
internal sealed class SigilMetrics
{
    public SigilMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        // Process and GC figures (dotnet_total_memory_bytes, process_working_set_bytes, ...) for capacity planning.
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        // Per-identity families are kept compactly and written after the registry's (IdentitySeries).
        CertificateExpiration = new("sigil_certificate_expiration_timestamp_seconds",
            "When the identity's current X.509-SVID expires (notAfter), as a Unix timestamp.", "gauge", "namespace", "name");
        CertificateRenewal = new("sigil_certificate_renewal_timestamp_seconds",
            "When Sigil will renew the identity's X.509-SVID, as a Unix timestamp.", "gauge", "namespace", "name");
        ApiKeyNextRotation = new("sigil_apikey_next_rotation_timestamp_seconds",
            "When Sigil will next rotate an API key, as a Unix timestamp.", "gauge", "namespace", "name", "kind", "key");
        JwtRenewal = new("sigil_jwt_renewal_timestamp_seconds",
            "When Sigil will next renew the identity's JWT-SVIDs, as a Unix timestamp.", "gauge", "namespace", "name");
        Rotations = new("sigil_rotations_total", "Credentials issued or rotated.", "counter", "namespace", "name", "kind");
        IssuanceErrors = new("sigil_issuance_errors_total", "Reconcile passes that failed and will be retried.", "counter", "namespace", "name");
        ReconcileDuration = factory.CreateHistogram("sigil_reconcile_duration_seconds", "How long one reconcile pass took.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        QueueDepth = factory.CreateGauge("sigil_reconcile_queue_depth", "Identities waiting to be reconciled.");
        CaExpiration = factory.CreateGauge("sigil_ca_expiration_timestamp_seconds",
            "When each CA Sigil trusts expires, as a Unix timestamp: the active one (signing), a prepared successor, the earliest retiring one.", "state");
        JwtKeyExpiration = factory.CreateGauge("sigil_jwt_key_expiration_timestamp_seconds",
            "JWT signing keys as a Unix timestamp per state: the active key's end of signing (activation + --jwt-key-ttl), when a prepared key "
            + "would stop signing if activated on schedule, and when the earliest retiring key leaves the JWKS (every token it signed expired, "
            + "plus --bundle-propagation).", "state");
        CaLifecycleErrors = factory.CreateCounter("sigil_ca_lifecycle_errors_total", "CA lifecycle passes that failed and will be retried.");
        TokensIssued = factory.CreateCounter("sigil_tokens_issued_total",
            "Access tokens the token endpoint issued, by client authentication method.", "method");
        TokenErrors = factory.CreateCounter("sigil_token_errors_total",
            "Token requests the token endpoint refused, by RFC 6749 error code (too_many_requests for rate limits).", "error");
        IdentityReady = new("sigil_identity_ready",
            "1 while the identity's Ready condition is True, 0 while it is False (any reason), as of its last pass.", "gauge", "namespace", "name");
        Leader = factory.CreateGauge("sigil_leader",
            "1 while this process reconciles (it holds the leader Lease, or runs without --leader-elect), else 0.");
        // Touched, so a follower says 0 from its first scrape: an alert on "no replica says 1" must see followers as 0, not absent.
        Leader.Set(0);
        KubeApiThrottled = factory.CreateCounter("sigil_kube_api_throttled_seconds_total",
            "Time requests to the Kubernetes API waited for the client's rate limit (--kube-api-qps, --kube-api-burst).");
    }

    public CollectorRegistry Registry { get; }
    public IdentitySeries CertificateExpiration { get; }
    public IdentitySeries CertificateRenewal { get; }
    /// <summary>Written through <see cref="SetNextKeyRotation"/> and <see cref="RemoveNextKeyRotation"/>, so forgetting an identity finds every key.</summary>
    public IdentitySeries ApiKeyNextRotation { get; }
    public IdentitySeries JwtRenewal { get; }
    /// <summary>Written through <see cref="CountRotation"/>, so forgetting an identity finds every kind.</summary>
    public IdentitySeries Rotations { get; }
    public IdentitySeries IssuanceErrors { get; }
    public Histogram ReconcileDuration { get; }
    public Gauge QueueDepth { get; }
    public Gauge CaExpiration { get; }
    public Gauge JwtKeyExpiration { get; }
    public IdentitySeries IdentityReady { get; }
    public Gauge Leader { get; }
    public Counter KubeApiThrottled { get; }
    public Counter CaLifecycleErrors { get; }
    public Counter TokensIssued { get; }
    public Counter TokenErrors { get; }

    // What each identity has of the series with labels beyond namespace and name, so that forgetting one identity costs its own
    // series rather than a scan of every identity's (a scan per key per pass would make a resync quadratic).
    private readonly ConcurrentDictionary<(string Ns, string Name), ConcurrentDictionary<(string Kind, string Key), byte>> _keySeries = new();
    private readonly ConcurrentDictionary<string, byte> _rotationKinds = new(StringComparer.Ordinal);

    public void CountRotation(string ns, string name, string kind)
    {
        _rotationKinds.TryAdd(kind, 0);
        Rotations.WithLabels(ns, name, kind).Inc();
    }

    public void SetNextKeyRotation(string ns, string name, string kind, string key, DateTimeOffset at)
    {
        _keySeries.GetOrAdd((ns, name), _ => new()).TryAdd((kind, key), 0);
        ApiKeyNextRotation.WithLabels(ns, name, kind, key).Set(at.ToUnixTimeSeconds());
    }

    public void RemoveNextKeyRotation(string ns, string name, string kind, string key)
    {
        ApiKeyNextRotation.RemoveLabelled(ns, name, kind, key);
        if (_keySeries.TryGetValue((ns, name), out var keys))
        {
            keys.TryRemove((kind, key), out _);
        }
    }

    /// <summary>Every series of a deleted identity goes, whatever its other labels (an API key's kind and key name).</summary>
    public void Forget(string ns, string name)
    {
        CertificateExpiration.RemoveLabelled(ns, name);
        CertificateRenewal.RemoveLabelled(ns, name);
        JwtRenewal.RemoveLabelled(ns, name);
        IssuanceErrors.RemoveLabelled(ns, name);
        IdentityReady.RemoveLabelled(ns, name);
        foreach (var kind in _rotationKinds.Keys)
        {
            Rotations.RemoveLabelled(ns, name, kind);
        }
        if (_keySeries.TryRemove((ns, name), out var keys))
        {
            foreach (var (kind, key) in keys.Keys)
            {
                ApiKeyNextRotation.RemoveLabelled(ns, name, kind, key);
            }
        }
    }

    /// <summary>
    /// Every identity's series go when this process stops leading: frozen values on a former leader would contradict the new
    /// leader's (a renewal time it will never move on would look overdue to an alert). Rare, so a scan is fine.
    /// </summary>
    public void ForgetIdentities()
    {
        _keySeries.Clear();
        foreach (var family in PerIdentity)
        {
            family.Clear();
        }
    }

    private IdentitySeries[] PerIdentity => [IdentityReady, CertificateExpiration, CertificateRenewal, ApiKeyNextRotation, JwtRenewal, Rotations, IssuanceErrors];

    /// <summary>/metrics: the registry's families (prometheus-net), then the per-identity ones.</summary>
    public async Task ExportAsync(Stream output, CancellationToken ct)
    {
        await Registry.CollectAndExportAsTextAsync(output, ct);
        foreach (var family in PerIdentity)
        {
            await family.WriteAsync(output, ct);
        }
    }

    /// <summary>
    /// Drops the API-key rotation series of keys the identity no longer has (a key removed from the spec, or one whose type
    /// changed, which changes its kind label); the OAuth 2.0 client secret's series is its own reconciler's.
    /// </summary>
    public void KeepApiKeys(string ns, string name, IReadOnlySet<(string Kind, string Key)> current)
    {
        if (!_keySeries.TryGetValue((ns, name), out var keys))
        {
            return;
        }
        foreach (var (kind, key) in keys.Keys)
        {
            if (kind != Credentials.OAuth2.ClientSecretReconciler.MetricKind && !current.Contains((kind, key)))
            {
                RemoveNextKeyRotation(ns, name, kind, key);
            }
        }
    }
}
