using System.Net;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Observability;
using Sigil.Credentials;
using Sigil.Credentials.X509;
using Sigil.Reconciliation;
using Sigil.Runtime;

namespace Sigil.Authority;

/// <summary>
/// Keeps the root of trust, the CAs and the JWT signing keys: loads it at start (every replica), and while this replica
/// leads, takes each lifecycle step when <see cref="CaLifecycle"/> or <see cref="JwtKeyLifecycle"/> says it is due
/// (gather, decide, act), publishes the trust set to every namespace's bundle and every SVID Secret's ca.crt, and swaps
/// the <see cref="TrustSnapshot"/> passes read. A replica that does not lead follows the stored state
/// (<see cref="FollowAsync"/>), since every replica serves the JWKS and signs tokens. Every step is one write of its state
/// Secret with the version read, so replicas and restarts never take a step twice: a step is derived from what is stored.
/// </summary>
internal sealed class AuthorityManager(
    IKubernetes client,
    Operator.OperatorOptions options,
    SecretAccess secrets,
    TrustBundlePublisher bundles,
    Informer<ServiceIdentity> identities,
    EventRecorder events,
    SigilMetrics metrics,
    TimeProvider time,
    ILogger logger) : IDisposable
{
    public const string DefaultSecretName = "sigil-ca";
    /// <summary>With --ca-secret, where Sigil keeps what it must remember about a Secret it does not own.</summary>
    public const string TrustStateSecretName = "sigil-ca-trust";
    /// <summary>The JWT signing keys and their lifecycle state, in the operator's namespace (whatever --ca-secret says).</summary>
    public const string JwtKeysSecretName = "sigil-jwt-keys";
    /// <summary>In the trust-state Secret: the CA last seen in --ca-secret, to retire it when someone replaces it.</summary>
    private const string LastSignerKey = "signer.crt";

    private static readonly TimeSpan Poll = TimeSpan.FromMinutes(1);
    // A --ca-secret is not Sigil's, so no watch on its labels sees it replaced: look often (one GET each time).
    private static readonly TimeSpan PollProvided = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollWhileMoving = TimeSpan.FromSeconds(5);

    private readonly ClusterTrustBundlePublisher _clusterBundle = new(client, logger);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TrustSnapshot? _current;
    // The state as last read, by the version(s) it was read at: every pass reads the Secret, parsing loads private keys.
    private (string Key, AuthorityState State)? _loaded;
    private (string Version, JwtKeyState State)? _loadedJwt;
    // The JWT key state the current snapshot was built from (a pass swaps only when it or the CA state changed).
    private JwtKeyState _jwt = JwtKeyState.Empty;
    private string? _warnedExpiring;

    /// <summary>
    /// How often a follower re-reads the state when no watch event woke it: within a quarter of --bundle-propagation, so
    /// a missed event still leaves its /keys (cached by clients for half of it) ahead of a key that starts signing.
    /// </summary>
    private TimeSpan FollowerPoll => options.BundlePropagation / 4 is var quarter && quarter < Poll
        ? (quarter > TimeSpan.FromSeconds(1) ? quarter : TimeSpan.FromSeconds(1)) : Poll;

    private string StateSecretName => options.CaSecret is null ? DefaultSecretName : TrustStateSecretName;

    public void Dispose() => _clusterBundle.Dispose();

    /// <summary>The root of trust as last loaded or changed.</summary>
    public TrustSnapshot Current => _current ?? throw new InvalidOperationException("the CA has not been loaded");

    /// <summary>Called after the trust set changed, so every identity's pass picks it up.</summary>
    public Action? TrustChanged { get; set; }

    /// <summary>For crash tests: runs after each lifecycle step is stored, with its name (a JWT key step's prefixed "Jwt").</summary>
    public Func<string, CancellationToken, Task>? StepHook { get; init; }

    /// <summary>Something the lifecycle waits for may have changed (the CA Secret was edited): look again now.</summary>
    public void Wake() => _wake.TrySetResult();

    /// <summary>
    /// At start, in every replica: the stored root of trust, or (first start, no --ca-secret) a new root that signs
    /// at once; a replica that loses the creation race loads the winner's.
    /// </summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var (state, _) = await ReadOrCreateAsync(ct);
        var (jwt, _) = await ReadOrCreateJwtAsync(ct);
        Swap(state, jwt);
        logger.LogInformation("Loaded the CA from Secret {Namespace}/{Secret}: {Subject}, expires {NotAfter}; {Trusted} trusted CA(s)",
            options.Namespace, options.CaSecret ?? DefaultSecretName, state.Active.Signer.Subject, state.Active.NotAfter, Current.Trusted.Count);
        logger.LogInformation("Loaded the JWT signing keys from Secret {Namespace}/{Secret}: {KeyId} signs; {Published} published",
            options.Namespace, JwtKeysSecretName, Current.JwtKeys.Signer?.KeyId, Current.JwtKeys.Published.Count);
    }

    /// <summary>
    /// While this replica does not lead: re-reads the stored CA and JWT key state when woken (a watch saw either Secret
    /// change) or every minute, and swaps in a snapshot when it changed, so /keys and every token this replica signs
    /// follow the leader's steps. It never writes. Returns when <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task FollowAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var woken = (_wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            try
            {
                await RefreshAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopped (often because this replica now leads): a normal end, so leading starts right after it.
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Could not re-read the root of trust as a follower, retrying in a minute: {Error}", e.GetType().Name + ": " + e.Message);
            }
            try
            {
                await Task.WhenAny(woken, Task.Delay(FollowerPoll, time, ct));
                ct.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One follower look: read both state Secrets (never create or write one) and swap when either changed.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var state = Current.State;
        // With --ca-secret, noticing a replaced CA is a write (the old one retires), which is the leader's: a follower
        // signs no certificate, so it keeps the CA it loaded until it leads.
        if (options.CaSecret is null && await client.ReadSecretOrNullAsync(options.Namespace, DefaultSecretName, ct) is { } stored)
        {
            state = Cached(stored, () => AuthorityStateCodec.Read(stored));
        }
        var jwtStored = await client.ReadSecretOrNullAsync(options.Namespace, JwtKeysSecretName, ct);
        var jwt = jwtStored is null ? _jwt : CachedJwt(jwtStored);
        if (_current is null || !ReferenceEquals(_current.State, state) || !ReferenceEquals(_jwt, jwt))
        {
            Swap(state, jwt);
        }
    }

    /// <summary>While this replica leads: the lifecycle loop. Returns when <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            // A wake-up during the pass makes the next one start at once.
            var woken = (_wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            TimeSpan wait;
            try
            {
                wait = await StepAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Whatever went wrong (the API, a CA Secret someone edited by hand), the loop must outlive it: a dead loop
                // would let the CA expire in silence.
                logger.LogWarning("CA lifecycle pass failed, retrying in 10s: {Error}", e.GetType().Name + ": " + e.Message);
                metrics.CaLifecycleErrors.Inc();
                wait = TimeSpan.FromSeconds(10);
            }
            try
            {
                await Task.WhenAny(woken, Task.Delay(wait, time, ct));
                ct.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass: read, publish, take every step that is due, and say how long to wait before looking again.</summary>
    public async Task<TimeSpan> StepAsync(CancellationToken ct)
    {
        while (true)
        {
            var (state, stored) = await ReadOrCreateAsync(ct);
            var (jwt, jwtStored) = await ReadOrCreateJwtAsync(ct);
            if (_current is null || !ReferenceEquals(_current.State, state) || !ReferenceEquals(_jwt, jwt))
            {
                Swap(state, jwt);
            }
            var trust = Current;
            var held = await PublishAsync(trust, ct);
            var now = time.GetUtcNow();
            var input = Gather(trust, stored, held.Authorities, now);
            var jwtInput = new JwtKeyLifecycleInput(jwt.Keys, options.JwtKeyAlgorithm, options.JwtKeyTtl, options.BundlePropagation, held.JwtKeys, now);
            await WarnIfExpiringAsync(input, trust, ct);
            var decision = CaLifecycle.Decide(input);
            if (decision is null)
            {
                if (JwtKeyLifecycle.Decide(jwtInput) is { } jwtDecision)
                {
                    await StepJwtAsync(jwt, jwtStored, jwtDecision, now, ct);
                    continue;
                }
                var next = Earliest(CaLifecycle.NextDue(input), JwtKeyLifecycle.NextDue(jwtInput));
                var poll = options.CaSecret is null ? Poll : PollProvided;
                var wait = next is { } due ? due - now : poll;
                var pending = input.Prepared is not null && input.PreparedPublishedAt is null || input.Retiring.Any(r => r.Manual && r.LeavesMovedAt is null)
                    || jwtInput.Prepared is { PublishedAt: null };
                var cap = pending ? PollWhileMoving : poll;
                return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > cap ? cap : wait;
            }
            var request = RotateRequest(stored);
            var nextState = AuthorityTransitions.Apply(state, decision, now, request,
                () => CertificateAuthority.CreateRoot(options.TrustDomain, time, options.CaTtl));
            if (!await WriteAsync(nextState, stored, ct))
            {
                continue;
            }
            logger.LogInformation("CA {Step}: {Why}. Signing CA {Subject} (expires {NotAfter}); {Trusted} trusted",
                decision.Step, decision.Message, nextState.Active.Signer.Subject, nextState.Active.NotAfter, nextState.Trusted().Count);
            Swap(nextState, jwt);
            await (StepHook?.Invoke(decision.Step, ct) ?? Task.CompletedTask);
        }
    }

    /// <summary>Takes one JWT key step: one write of the key Secret with the version read; a 409 leaves it to the next look.</summary>
    private async Task StepJwtAsync(JwtKeyState jwt, V1Secret? stored, JwtKeyDecision decision, DateTimeOffset now, CancellationToken ct)
    {
        var next = JwtKeyTransitions.Apply(jwt, decision, now, () => JwtSigningKey.Generate(options.JwtKeyAlgorithm));
        if (!await WriteJwtAsync(next, stored, ct))
        {
            return;
        }
        var signer = next.Keys.FirstOrDefault(k => k.Role == JwtKeyRole.Active);
        logger.LogInformation("JWT key {Step} {KeyId}: {Why}. Signing key {Signer} ({Algorithm}); {Published} published",
            decision.Step, decision.KeyId ?? signer?.KeyId, decision.Message, signer?.KeyId, signer?.Algorithm, next.Keys.Count);
        Swap(Current.State, next);
        await (StepHook?.Invoke("Jwt" + decision.Step, ct) ?? Task.CompletedTask);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private LifecycleInput Gather(TrustSnapshot trust, V1Secret? stored, bool everyBundleCurrent, DateTimeOffset now)
    {
        var state = trust.State;
        // Leaves that will move: those of identities that are issuing. A Secret left behind (spec.x509 removed, secretName
        // changed) or held by an identity that cannot be issued for (InvalidSpec, NotAllowed, SecretConflict) never moves,
        // and must not keep a CA retired by hand in the bundles.
        var issuersInUse = SvidSecrets(issuingOnly: true)
            .Select(s => SecretReader.Read(s).Facts?.IssuerKeyId)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        return new LifecycleInput(
            AuthorityState.ValidityOf(state.Active.Signer),
            state.Prepared is { } p ? AuthorityState.ValidityOf(p.Signer) : null,
            state.PreparedPublishedAt,
            state.PreparedForManual,
            state.Retiring.Select(r => new RetiringFacts(r.Signer, r.Manual, r.LeavesMovedAt, issuersInUse.Contains(r.SignerKeyId))).ToList(),
            options.CaSecret is null,
            RotateRequest(stored),
            state.RotationRequest,
            everyBundleCurrent,
            options.BundlePropagation,
            now);
    }

    /// <summary>
    /// Puts the trust set into every namespace's bundle and every SVID Secret's ca.crt that lacks it, and the JWT keys into
    /// every bundle. Each part is held only when all of them already held it, so no write of this pass can still be on its
    /// way (a Secret or ConfigMap Sigil did not create is not its to fix, and does not hold a rotation up).
    /// </summary>
    private async Task<BundleHeld> PublishAsync(TrustSnapshot trust, CancellationToken ct)
    {
        var held = BundleHeld.Both;
        foreach (var ns in identities.Enumerate().Select(i => i.Metadata.NamespaceProperty).Distinct(StringComparer.Ordinal))
        {
            try
            {
                held &= await bundles.PublishAsync(ns, trust, ct);
            }
            catch (HttpOperationException e)
            {
                logger.LogWarning("Could not publish the trust bundle in {Namespace}: {Status}", ns, e.Response.StatusCode);
                held = BundleHeld.Neither;
            }
        }
        // The ClusterTrustBundle and SVID Secrets carry CA certificates only.
        var current = held.Authorities;
        try
        {
            // For consumers that read ClusterTrustBundles (projected volumes); a cluster that does not serve them is skipped.
            await _clusterBundle.PublishAsync(options.TrustDomain, trust.BundlePem, ct);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            // Pods may mount it (projected volumes), so a new CA waits for it like for any other bundle.
            logger.LogWarning("Could not publish the ClusterTrustBundle: {Error}", e.Message);
            current = false;
        }
        foreach (var secret in SvidSecrets(issuingOnly: false).ToList())
        {
            if (SecretReader.Read(secret).TrustBundleSha256 == trust.BundleSha256)
            {
                continue;
            }
            // Written now: it holds the trust set from this moment, which the next pass will confirm.
            current = false;
            try
            {
                await secrets.PatchTrustBundleAsync(secret, trust.BundlePem, ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Rewritten or deleted meanwhile (a reissue writes the current bundle itself): look again next pass.
                current = false;
            }
        }
        return held with { Authorities = current };
    }

    /// <summary>The SVID Secret of every identity that asks for one, where Sigil created it for that identity.</summary>
    private IEnumerable<V1Secret> SvidSecrets(bool issuingOnly)
    {
        foreach (var identity in identities.Enumerate())
        {
            if (identity.Spec?.X509 is not { } x509 || issuingOnly && Blocked(identity))
            {
                continue;
            }
            var name = string.IsNullOrEmpty(x509.SecretName) ? $"{identity.Metadata.Name}-svid" : x509.SecretName;
            if (secrets.Cached(identity.Metadata.NamespaceProperty, name) is { Type: "kubernetes.io/tls" } secret && ManagedSecrets.IsOwnedBy(secret, identity))
            {
                yield return secret;
            }
        }
    }

    private static bool Blocked(ServiceIdentity identity) =>
        identity.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is { Status: "False", Reason: Reasons.InvalidSpec or Reasons.NotAllowed or Reasons.SecretConflict };

    private async Task<(AuthorityState State, V1Secret? Stored)> ReadOrCreateAsync(CancellationToken ct)
    {
        if (options.CaSecret is { } caSecret)
        {
            return await ReadProvidedAsync(caSecret, ct);
        }
        var existing = await client.ReadSecretOrNullAsync(options.Namespace, DefaultSecretName, ct);
        if (existing is not null)
        {
            return (Cached(existing, () => AuthorityStateCodec.Read(existing)), existing);
        }
        // The very first CA signs at once: there is nothing older that consumers could be holding instead.
        var first = new AuthorityState(CertificateAuthority.CreateRoot(options.TrustDomain, time, options.CaTtl), null, null, null, false, [], null, 1);
        try
        {
            var created = await client.CoreV1.CreateNamespacedSecretAsync(StateSecret(first, null), options.Namespace, cancellationToken: ct);
            logger.LogInformation("Created a new root CA in Secret {Namespace}/{Secret}, fingerprint {Fingerprint}, expires {NotAfter}",
                options.Namespace, DefaultSecretName, first.Active.Signer.GetCertHashString(HashAlgorithmName.SHA256), first.Active.NotAfter);
            return (Cached(created, () => first), created);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            first.Active.Dispose();
            logger.LogInformation("Another replica created the CA Secret {Namespace}/{Secret} first; loading it", options.Namespace, DefaultSecretName);
            var winner = (await client.ReadSecretOrNullAsync(options.Namespace, DefaultSecretName, ct))!;
            return (Cached(winner, () => AuthorityStateCodec.Read(winner)), winner);
        }
    }

    /// <summary>
    /// --ca-secret: the signer is whatever that Secret holds now. When it differs from the one last seen, the old one
    /// retires (trusted until it expires, its leaves moved to the new one); Sigil's own trust-state Secret remembers it.
    /// </summary>
    private async Task<(AuthorityState State, V1Secret? Stored)> ReadProvidedAsync(string caSecret, CancellationToken ct)
    {
        var provided = await client.ReadSecretOrNullAsync(options.Namespace, caSecret, ct)
            ?? throw new InvalidOperationException($"--ca-secret names Secret {options.Namespace}/{caSecret}, which does not exist: create it with tls.crt and tls.key");
        var stateSecret = await client.ReadSecretOrNullAsync(options.Namespace, TrustStateSecretName, ct);
        var key = $"{provided.Metadata.ResourceVersion}/{stateSecret?.Metadata.ResourceVersion}";
        if (_loaded is { } loaded && loaded.Key == key)
        {
            return (loaded.State, stateSecret);
        }
        if (provided.Data is null || !provided.Data.TryGetValue("tls.crt", out var crt) || !provided.Data.TryGetValue("tls.key", out var pem))
        {
            throw new InvalidOperationException($"CA Secret {options.Namespace}/{caSecret} must hold tls.crt and tls.key");
        }
        var active = CertificateAuthority.FromPem(Encoding.ASCII.GetString(crt), Encoding.ASCII.GetString(pem));
        var state = AuthorityStateCodec.Read(stateSecret, active, null);
        var lastSigner = stateSecret?.Data is { } d && d.TryGetValue(LastSignerKey, out var last) ? Encoding.ASCII.GetString(last) : null;
        var replaced = lastSigner is not null && AuthorityStateCodec.ActiveSha256(stateSecret) is { } seen
            && seen != Convert.ToHexStringLower(active.Signer.GetCertHash(HashAlgorithmName.SHA256));
        if (replaced)
        {
            var (signer, anchor) = CertificateAuthority.PublicParts(lastSigner!);
            logger.LogInformation("The CA in Secret {Namespace}/{Secret} was replaced: {Old} retires, {New} signs", options.Namespace, caSecret, signer.Subject, active.Signer.Subject);
            var retired = new RetiringCa(anchor, CertificateAuthority.KeyIdOf(signer), AuthorityState.ValidityOf(signer), Manual: false, LeavesMovedAt: null);
            state = state with
            {
                // Leaves move only once every bundle can have held the new root for --bundle-propagation; until then they
                // stay valid under the old CA, and only new identities get leaves of the new one.
                ActivatedAt = Timestamps.ToSecond(time.GetUtcNow() + options.BundlePropagation),
                Retiring = [retired, .. state.Retiring],
                Sequence = state.Sequence + 1,
            };
        }
        // First start with this CA Secret, or a replaced CA: remember the signer (and what retired), then read back.
        if (stateSecret is null || lastSigner is null || replaced)
        {
            if (await WriteAsync(state, stateSecret, ct))
            {
                return await ReadProvidedAsync(caSecret, ct);
            }
        }
        _loaded = (key, state);
        return (state, stateSecret);
    }

    /// <summary>
    /// The stored JWT keys, or (first start) a Secret holding a first key that signs at once; a replica that loses the
    /// creation race loads the winner's. A Secret that exists but holds no readable key is left to the lifecycle.
    /// </summary>
    private async Task<(JwtKeyState State, V1Secret? Stored)> ReadOrCreateJwtAsync(CancellationToken ct)
    {
        var existing = await client.ReadSecretOrNullAsync(options.Namespace, JwtKeysSecretName, ct);
        if (existing is not null)
        {
            return (CachedJwt(existing), existing);
        }
        var now = time.GetUtcNow();
        var first = JwtKeyTransitions.Apply(JwtKeyState.Empty, new JwtKeyDecision(JwtKeySteps.First, "first start"), now, () => JwtSigningKey.Generate(options.JwtKeyAlgorithm));
        try
        {
            var created = await client.CoreV1.CreateNamespacedSecretAsync(JwtSecret(first, null), options.Namespace, cancellationToken: ct);
            logger.LogInformation("Created a JWT signing key {KeyId} ({Algorithm}) in Secret {Namespace}/{Secret}; it signs at once",
                first.Keys[0].KeyId, first.Keys[0].Algorithm, options.Namespace, JwtKeysSecretName);
            _loadedJwt = (created.Metadata.ResourceVersion, first);
            return (first, created);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            first.Material.Values.ToList().ForEach(k => k.Dispose());
            logger.LogInformation("Another replica created the JWT key Secret {Namespace}/{Secret} first; loading it", options.Namespace, JwtKeysSecretName);
            var winner = (await client.ReadSecretOrNullAsync(options.Namespace, JwtKeysSecretName, ct))!;
            return (CachedJwt(winner), winner);
        }
    }

    /// <summary>The JWT key Secret parsed once per resourceVersion (parsing loads private keys).</summary>
    private JwtKeyState CachedJwt(V1Secret secret)
    {
        if (_loadedJwt is { } loaded && loaded.Version == secret.Metadata.ResourceVersion)
        {
            return loaded.State;
        }
        if (!JwtKeyStateCodec.Readable(secret))
        {
            logger.LogWarning("Secret {Namespace}/{Secret} has no readable {Annotation} annotation; every key it holds stays published, retiring, and a new key will be prepared",
                options.Namespace, JwtKeysSecretName, JwtKeyStateCodec.StateAnnotation);
        }
        var state = JwtKeyStateCodec.Read(secret, time.GetUtcNow());
        _loadedJwt = (secret.Metadata.ResourceVersion, state);
        return state;
    }

    /// <summary>Stores the next JWT key state with the version read; false when someone else wrote first (read again).</summary>
    private async Task<bool> WriteJwtAsync(JwtKeyState state, V1Secret? stored, CancellationToken ct)
    {
        if (await StoreAsync(JwtSecret(state, stored), stored, "JWT key", ct) is not { } written)
        {
            return false;
        }
        _loadedJwt = (written.Metadata.ResourceVersion, state);
        return true;
    }

    /// <summary>
    /// Creates or replaces one of the state Secrets as of the version read (<paramref name="stored"/>): every lifecycle step
    /// is this one write. Null when someone else wrote first; the caller reads again and derives the step anew.
    /// </summary>
    private async Task<V1Secret?> StoreAsync(V1Secret desired, V1Secret? stored, string what, CancellationToken ct)
    {
        try
        {
            return stored is null
                ? await client.CoreV1.CreateNamespacedSecretAsync(desired, options.Namespace, cancellationToken: ct)
                : await client.CoreV1.ReplaceNamespacedSecretAsync(desired, desired.Metadata.Name, options.Namespace, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            logger.LogInformation("The {What} state Secret changed while a step was being taken; reading it again", what);
            return null;
        }
    }

    private V1Secret JwtSecret(JwtKeyState state, V1Secret? stored)
    {
        var (data, json) = JwtKeyStateCodec.Write(state);
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = JwtKeysSecretName,
                NamespaceProperty = options.Namespace,
                ResourceVersion = stored?.Metadata.ResourceVersion,
                Labels = new Dictionary<string, string>(stored?.Metadata.Labels ?? new Dictionary<string, string>()) { [Labels.ManagedBy] = Labels.ManagedByValue },
                Annotations = new Dictionary<string, string>(stored?.Metadata.Annotations ?? new Dictionary<string, string>()) { [JwtKeyStateCodec.StateAnnotation] = json },
            },
            Type = "Opaque",
            Data = data,
        };
    }

    /// <summary>A state Secret parsed once per resourceVersion: every pass reads it, and parsing loads private keys.</summary>
    private AuthorityState Cached(V1Secret secret, Func<AuthorityState> read)
    {
        if (_loaded is { } loaded && loaded.Key == secret.Metadata.ResourceVersion)
        {
            return loaded.State;
        }
        var state = read();
        _loaded = (secret.Metadata.ResourceVersion, state);
        return state;
    }

    /// <summary>Stores the next state with the version read; false when someone else wrote first (read again).</summary>
    private async Task<bool> WriteAsync(AuthorityState state, V1Secret? stored, CancellationToken ct)
    {
        if (await StoreAsync(StateSecret(state, stored), stored, "CA", ct) is not { } written)
        {
            return false;
        }
        _loaded = options.CaSecret is null ? (written.Metadata.ResourceVersion, state) : null;
        return true;
    }

    private V1Secret StateSecret(AuthorityState state, V1Secret? stored)
    {
        var (data, json) = AuthorityStateCodec.Write(state, withKeys: options.CaSecret is null);
        if (options.CaSecret is not null)
        {
            data[LastSignerKey] = Encoding.ASCII.GetBytes(state.Active.CertificatesPem);
        }
        var annotations = new Dictionary<string, string>(stored?.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            [AuthorityStateCodec.StateAnnotation] = json,
        };
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = StateSecretName,
                NamespaceProperty = options.Namespace,
                ResourceVersion = stored?.Metadata.ResourceVersion,
                Labels = new Dictionary<string, string>(stored?.Metadata.Labels ?? new Dictionary<string, string>()) { [Labels.ManagedBy] = Labels.ManagedByValue },
                Annotations = annotations,
            },
            Type = options.CaSecret is null ? "kubernetes.io/tls" : "Opaque",
            Data = data,
        };
    }

    private string? RotateRequest(V1Secret? stored) =>
        options.CaSecret is null && stored?.Metadata.Annotations is { } a && a.TryGetValue(Labels.RotateAnnotation, out var value) ? value : null;

    private void Swap(AuthorityState state, JwtKeyState jwt)
    {
        var keys = jwt.ToKeySet();
        var changed = _current is null || Changed(_current.State, state) || Changed(_current.JwtKeys, keys);
        _current = new TrustSnapshot(state, time, options.BundlePropagation, keys);
        _jwt = jwt;
        SetJwtMetrics(jwt);
        metrics.CaExpiration.WithLabels("active").Set(state.Active.NotAfter.ToUnixTimeSeconds());
        SetOrRemove("prepared", state.Prepared?.NotAfter);
        SetOrRemove("retiring", state.Retiring.Count == 0 ? null : state.Retiring.Min(r => r.Signer.NotAfter));
        if (changed)
        {
            TrustChanged?.Invoke();
        }
    }

    private void SetOrRemove(string label, DateTimeOffset? at)
    {
        if (at is { } value)
        {
            metrics.CaExpiration.WithLabels(label).Set(value.ToUnixTimeSeconds());
        }
        else
        {
            metrics.CaExpiration.RemoveLabelled(label);
        }
    }

    /// <summary>sigil_jwt_key_expiration_timestamp_seconds: per role, when the key stops signing (retiring: stops being published).</summary>
    private void SetJwtMetrics(JwtKeyState jwt)
    {
        var input = new JwtKeyLifecycleInput(jwt.Keys, options.JwtKeyAlgorithm, options.JwtKeyTtl, options.BundlePropagation, false, time.GetUtcNow());
        foreach (var (role, label) in new[] { (JwtKeyRole.Active, "active"), (JwtKeyRole.Prepared, "prepared"), (JwtKeyRole.Retiring, "retiring") })
        {
            var keys = jwt.Keys.Where(k => k.Role == role).ToList();
            if (keys.Count == 0)
            {
                metrics.JwtKeyExpiration.RemoveLabelled(label);
            }
            else
            {
                metrics.JwtKeyExpiration.WithLabels(label).Set(keys.Min(k => JwtKeyLifecycle.Expiration(k, input)).ToUnixTimeSeconds());
            }
        }
    }

    /// <summary>Whether passes must look again because of the JWT keys: another key signs, or the published set changed.</summary>
    private static bool Changed(JwtKeySet a, JwtKeySet b) =>
        a.Signer?.KeyId != b.Signer?.KeyId || a.Sequence != b.Sequence || !a.Published.Select(k => k.KeyId).SequenceEqual(b.Published.Select(k => k.KeyId));

    /// <summary>Whether what passes see (who signs, what is trusted, when leaves move) differs.</summary>
    private static bool Changed(AuthorityState a, AuthorityState b) =>
        a.Sequence != b.Sequence || a.Active.KeyIdHex != b.Active.KeyIdHex || a.ActivatedAt != b.ActivatedAt
        || a.Retiring.Count != b.Retiring.Count || a.Prepared?.KeyIdHex != b.Prepared?.KeyIdHex;

    /// <summary>CAExpiring: the CA runs out and Sigil cannot make its successor (--ca-secret); once per CA per process.</summary>
    private async Task WarnIfExpiringAsync(LifecycleInput input, TrustSnapshot trust, CancellationToken ct)
    {
        var fingerprint = trust.Signer.KeyIdHex;
        if (!CaLifecycle.ExpiringWithoutSuccessor(input) || _warnedExpiring == fingerprint)
        {
            return;
        }
        _warnedExpiring = fingerprint;
        var note = $"The CA in Secret {options.CaSecret} ({trust.Signer.Signer.Subject}) expires {trust.Signer.NotAfter:u} and Sigil cannot make its successor: "
            + "put a new CA into that Secret (the old one stays trusted until it expires, and every certificate moves to the new one)";
        logger.LogWarning("CAExpiring: {Note}", note);
        await events.RecordForSecretAsync(options.Namespace, options.CaSecret!, "Warning", Reasons.CAExpiring, "Rotate", note, ct);
    }
}
