using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.ValidationRules;

/// <summary>
/// Sigil's own CRD (crds/sigil.dev_serviceidentities.yaml) installed with real kubectl, and its CEL rules refusing what
/// they should: kubectl prints the rule's message at the rule's place and exits non-zero; a valid identity is accepted.
/// </summary>
public sealed class ServiceIdentityRulesKubectlTests
{
    public static TheoryData<ClusterKind, string> Targets => new()
    {
        { ClusterKind.Local, "1.32" },
        { ClusterKind.Local, "1.34" },
        { ClusterKind.Local, "1.35" },
        { ClusterKind.RealCluster, "1.32" },
    };

    private const string ValidSpec = """
          x509: {ttl: 24h, renewBefore: 8h}
          apiKeys:
          - {name: billing, audience: billing, rotation: {every: 720h}}
          - {name: ledger, audience: ledger, rotation: {schedule: "0 3 * * *"}}
          jwt:
            ttl: 1h
            audiences:
            - {name: payments, audience: payments}
            - {name: partner, audience: "https://partner.example.com"}
          oauth2:
            clientSecret: {rotation: {every: 168h}}
          acceptsFrom:
          - serviceIdentity: frontend
          - spiffeID: spiffe://example.org/ns/web/sa/web
        """;

    /// <summary>because, the spec (YAML, indented two), what kubectl must print.</summary>
    private static readonly (string Because, string Spec, string Expected)[] BrokenRules =
    [
        ("apiKeys names are unique", """
              apiKeys:
              - {name: billing, audience: billing, rotation: {every: 720h}}
              - {name: billing, audience: ledger, rotation: {every: 720h}}
            """, "spec: Invalid value: \"object\": apiKeys names must be unique"),
        ("an x509 ttl of 30s is too short", """
              x509: {ttl: 30s}
            """, "spec.x509: Invalid value: \"object\": ttl must be between 1m and 8760h"),
        ("renewBefore must be shorter than ttl", """
              x509: {ttl: 1h, renewBefore: 1h}
            """, "spec.x509: Invalid value: \"object\": renewBefore must be shorter than ttl"),
        ("an API key rotates by every or by schedule, not both", """
              apiKeys:
              - {name: billing, audience: billing, rotation: {every: 720h, schedule: "0 3 * * *"}}
            """, "spec.apiKeys[0]: Invalid value: \"object\": rotation needs exactly one of every or schedule"),
        ("a jwt ttl of 5m is too short", """
              jwt: {ttl: 5m}
            """, "spec.jwt: Invalid value: \"object\": ttl must be between 10m and 24h"),
        ("jwt audience names are unique", """
              jwt:
                audiences:
                - {name: payments, audience: payments}
                - {name: payments, audience: ledger}
            """, "spec.jwt: Invalid value: \"object\": audience names must be unique"),
        ("an audience is a name, a SPIFFE ID or an https URL", """
              jwt:
                audiences:
                - {name: payments, audience: "http://payments.example.com"}
            """, "spec.jwt.audiences[0]: Invalid value: \"object\": audience must be a ServiceIdentity name, a spiffe:// ID or an https:// URL"),
        ("a caller is a serviceIdentity or a spiffeID, not both", """
              acceptsFrom:
              - {serviceIdentity: frontend, spiffeID: "spiffe://example.org/ns/web/sa/web"}
            """, "spec.acceptsFrom[0]: Invalid value: \"object\": give exactly one of serviceIdentity and spiffeID"),
        ("an OAuth client secret rotates by every or by schedule", """
              oauth2:
                clientSecret: {rotation: {gracePeriod: 1h}}
            """, "spec.oauth2.clientSecret: Invalid value: \"object\": rotation needs exactly one of every or schedule"),
    ];

    private static string Identity(string ns, string name, string spec) => $"""
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata:
          name: {name}
          namespace: {ns}
        spec:
        {spec}
        """;

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task The_ServiceIdentity_CRDs_own_rules_reject_what_they_should_through_kubectl(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await kubectl.OkAsync("apply", "-f", Path.Combine(Repository.Root, "crds", "sigil.dev_serviceidentities.yaml"));
        await kubectl.OkAsync("wait", "--for=condition=Established", "crd/serviceidentities.sigil.dev", "--timeout=30s");

        Assert.Contains("created", await kubectl.ApplyAsync(Identity(ns, "valid", ValidSpec)), StringComparison.Ordinal);
        var failures = new List<string>();
        for (var i = 0; i < BrokenRules.Length; i++)
        {
            var (because, spec, expected) = BrokenRules[i];
            var result = await kubectl.RunWithInputAsync(Identity(ns, $"broken-{i}", spec), "apply", "-f", "-");
            if (result.ExitCode == 0 || !result.Output.Contains(expected, StringComparison.Ordinal))
            {
                failures.Add($"{because}: exit {result.ExitCode}, kubectl printed: {result.Output.Trim()}");
            }
        }
        var update = await kubectl.RunWithInputAsync(Identity(ns, "valid", ValidSpec.Replace("ttl: 1h", "ttl: 5m", StringComparison.Ordinal)), "apply", "-f", "-");
        var stored = await kubectl.OkAsync("get", "serviceidentities", "-n", ns, "-o", "name");

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.NotEqual(0, update.ExitCode);
        Assert.Contains("spec.jwt: Invalid value: \"object\": ttl must be between 10m and 24h", update.Output, StringComparison.Ordinal);
        Assert.Equal("serviceidentity.sigil.dev/valid", stored.Trim());
    }
}
