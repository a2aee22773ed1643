using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sigil.LocalControlPlane.Semantics;

/// <summary>
/// kube-apiserver's validation of certificates.k8s.io ClusterTrustBundles (pkg/apis/certificates/validation):
/// a bundle with a signerName is named <c>&lt;signerName with '/' as ':'&gt;:&lt;suffix&gt;</c>, one without has no ':'
/// in its name; spec.trustBundle is one or more PEM CERTIFICATE blocks, nothing else; signerName never changes.
/// </summary>
internal static partial class ClusterTrustBundleRules
{
    public static List<FieldCause> ValidateName(string name, string? signerName)
    {
        var rest = name;
        if (string.IsNullOrEmpty(signerName))
        {
            if (name.Contains(':', StringComparison.Ordinal))
            {
                return [FieldCause.Invalid("metadata.name", $"Invalid value: \"{name}\": ClusterTrustBundle without signer name must not have \":\" in its name")];
            }
        }
        else
        {
            var prefix = signerName.Replace('/', ':') + ":";
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return [FieldCause.Invalid("metadata.name", $"Invalid value: \"{name}\": ClusterTrustBundle for signerName {signerName} must be named with prefix {prefix}")];
            }
            rest = name[prefix.Length..];
        }
        return rest.Length is > 0 and <= 253 && DnsSubdomain().IsMatch(rest) ? [] :
        [
            FieldCause.Invalid("metadata.name", $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        ];
    }

    public static List<FieldCause> ValidateSpec(JsonObject obj, JsonObject? current)
    {
        var causes = new List<FieldCause>();
        var signerName = Json.PathText(obj, "spec.signerName") ?? "";
        if (current is not null && signerName != (Json.PathText(current, "spec.signerName") ?? ""))
        {
            causes.Add(FieldCause.Invalid("spec.signerName", $"Invalid value: \"{signerName}\": field is immutable"));
        }
        var bundle = Json.PathText(obj, "spec.trustBundle");
        if (string.IsNullOrEmpty(bundle))
        {
            causes.Add(FieldCause.Required("spec.trustBundle"));
        }
        else if (TrustBundleProblem(bundle) is { } problem)
        {
            causes.Add(FieldCause.Invalid("spec.trustBundle", $"Invalid value: \"<value omitted>\": {problem}"));
        }
        return causes;
    }

    private static string? TrustBundleProblem(string bundle)
    {
        var remaining = bundle.AsSpan();
        var count = 0;
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            if (label != "CERTIFICATE")
            {
                return $"entry {count} has bad block type: {label}";
            }
            try
            {
                using var _ = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(remaining[fields.Base64Data].ToString()));
            }
            catch (CryptographicException)
            {
                return $"entry {count} does not parse as X.509";
            }
            count++;
            remaining = remaining[fields.Location.End.Value..];
        }
        return count == 0 ? "at least one trust anchor must be provided" : null;
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
