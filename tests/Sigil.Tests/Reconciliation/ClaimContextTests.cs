using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Api;
using Sigil.Reconciliation;
using Sigil.Runtime;
using Sigil.Tests.Support;

namespace Sigil.Tests.Reconciliation;

/// <summary>What the name and Secret policies are given: the Secret index follows the identity cache; annotations come from the identity's own Namespace.</summary>
public sealed class ClaimContextTests
{
    private static ServiceIdentity Identity(string name, string? x509Secret = null, string ns = "shop") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new ServiceIdentitySpec { X509 = new X509Spec { SecretName = x509Secret } },
    };

    private static V1Namespace Namespace(string name, string? allowed) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["team"] = "payments" },
            Annotations = allowed is null ? null : new Dictionary<string, string> { [Labels.AllowedDnsNamesAnnotation] = allowed, ["other"] = "x" },
        },
    };

    [Fact]
    public async Task The_Secret_index_follows_identities_as_they_come_change_and_go()
    {
        var identitySource = new FakeSource<ServiceIdentity>(Identity("payments", "shared"), Identity("thief", "shared", ns: "evil"));
        var identities = new Informer<ServiceIdentity>(identitySource, TimeProvider.System, NullLogger.Instance);
        var namespaces = new Informer<V1Namespace>(new FakeSource<V1Namespace>(), TimeProvider.System, NullLogger.Instance, ClaimContext.Slim);
        var claims = new ClaimContext(identities, namespaces, "cluster.local");
        using var stop = new CancellationTokenSource();
        var running = identities.RunAsync(stop.Token);
        await identities.Synced.WaitAsync(TimeSpan.FromSeconds(10));

        identitySource.Send(WatchEventType.Added, Identity("orders", "shared"));
        await Eventually.TrueAsync(() => Task.FromResult(claims.ClaimantsOf("shop", "shared").Count == 2));
        var sharing = claims.SharingSecretsWith(Identity("payments", "shared")).Select(i => i.Metadata.Name).ToList();
        identitySource.Send(WatchEventType.Modified, Identity("orders", "orders-own"));
        await Eventually.TrueAsync(() => Task.FromResult(claims.ClaimantsOf("shop", "orders-own").Count == 1));
        var afterMove = claims.ClaimantsOf("shop", "shared");
        identitySource.Send(WatchEventType.Deleted, Identity("payments", "shared"));
        await Eventually.TrueAsync(() => Task.FromResult(claims.ClaimantsOf("shop", "shared").Count == 0));
        await stop.CancelAsync();
        await running;

        Assert.Equal(["orders"], sharing);
        Assert.Equal(["payments"], afterMove);
        Assert.Equal(["thief"], claims.ClaimantsOf("evil", "shared"));
        Assert.Equal(["orders"], claims.ClaimantsOf("shop", "orders-verifiers"));
    }

    [Fact]
    public async Task An_identity_gets_its_own_Namespaces_annotation_and_no_other()
    {
        var identities = new Informer<ServiceIdentity>(new FakeSource<ServiceIdentity>(), TimeProvider.System, NullLogger.Instance);
        var namespaces = new Informer<V1Namespace>(new FakeSource<V1Namespace>(Namespace("evil", "*.shop.example.com"), Namespace("other", null)),
            TimeProvider.System, NullLogger.Instance, ClaimContext.Slim);
        var claims = new ClaimContext(identities, namespaces, "corp.internal");
        using var stop = new CancellationTokenSource();
        var running = namespaces.RunAsync(stop.Token);
        await namespaces.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running;

        Assert.Equal("*.shop.example.com", claims.AllowedDnsNames("evil"));
        Assert.Null(claims.AllowedDnsNames("other"));
        Assert.Null(claims.AllowedDnsNames("missing"));
        Assert.Equal("corp.internal", claims.ClusterDomain);
        var cached = namespaces.Get("evil")!;
        Assert.Null(cached.Metadata.Labels);
        Assert.Equal([Labels.AllowedDnsNamesAnnotation], cached.Metadata.Annotations.Keys);
    }
}
