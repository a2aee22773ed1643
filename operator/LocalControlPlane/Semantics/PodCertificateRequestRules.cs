using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Sigil.LocalControlPlane.Semantics;

/// <summary>
/// kube-apiserver's validation of certificates.k8s.io PodCertificateRequests (pkg/apis/certificates/validation,
/// Kubernetes 1.35): on create the spec names a signer, a pod, its ServiceAccount and node, a lifetime bound, and a
/// public key with a proof of possession (a signature over the pod UID); the spec never changes; status moves once,
/// through /status, from nothing to Issued (a certificate chain for that key, with consistent times), Denied or Failed,
/// and is frozen after that. Pure: the clock is a parameter.
/// </summary>
internal static partial class PodCertificateRequestRules
{
    public const int DefaultMaxExpirationSeconds = 86_400;
    private const int MinMaxExpirationSeconds = 3_600;
    private const int KubernetesMaxMaxExpirationSeconds = 86_400;
    private const int MaxMaxExpirationSeconds = 7_862_400;
    private const int MaxPkixPublicKeySize = 10 * 1024;
    private const int MaxProofOfPossessionSize = 10 * 1024;
    private const int MaxCertificateChainSize = 100 * 1024;
    private const int MaxUidLength = 128;
    private static readonly string[] TerminalConditions = ["Issued", "Denied", "Failed"];

    /// <summary>Fills in what kube-apiserver defaults whenever it decodes one: spec.maxExpirationSeconds.</summary>
    public static void ApplyDefaults(JsonObject obj)
    {
        if (obj["spec"] is JsonObject spec && spec["maxExpirationSeconds"] is null)
        {
            // Parsed, not JsonValue.Create(int): stored and incoming specs are compared node by node.
            spec["maxExpirationSeconds"] = JsonNode.Parse(DefaultMaxExpirationSeconds.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// The problems with a write: <paramref name="current"/> is null on create. An update through the main resource
    /// keeps the stored status and a /status update keeps the stored spec, so a changed spec is a spec update and a
    /// changed status is a status update.
    /// </summary>
    public static List<FieldCause> Validate(JsonObject obj, JsonObject? current, DateTimeOffset now)
    {
        if (current is null)
        {
            return ValidateCreate(obj);
        }
        if (!JsonNode.DeepEquals(obj["spec"], current["spec"]))
        {
            return [FieldCause.Invalid("spec", "Invalid value: \"<value omitted>\": field is immutable")];
        }
        return JsonNode.DeepEquals(obj["status"], current["status"]) ? [] : ValidateStatusUpdate(obj, current, now);
    }

    public static List<FieldCause> ValidateCreate(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var causes = new List<FieldCause>();
        causes.AddRange(SignerNameProblems(spec.Str("signerName")));
        causes.AddRange(NameProblems("spec.podName", spec.Str("podName")));
        causes.AddRange(UidProblems("spec.podUID", spec.Str("podUID")));
        causes.AddRange(NameProblems("spec.serviceAccountName", spec.Str("serviceAccountName")));
        causes.AddRange(UidProblems("spec.serviceAccountUID", spec.Str("serviceAccountUID")));
        causes.AddRange(NameProblems("spec.nodeName", spec.Str("nodeName")));
        causes.AddRange(UidProblems("spec.nodeUID", spec.Str("nodeUID")));
        causes.AddRange(UserAnnotationProblems(spec["unverifiedUserAnnotations"]));

        var signerName = spec.Str("signerName") ?? "";
        var maximum = IsKubernetesSigner(signerName) ? KubernetesMaxMaxExpirationSeconds : MaxMaxExpirationSeconds;
        if (spec["maxExpirationSeconds"] is not JsonValue seconds || !seconds.TryGetValue<long>(out var lifetime))
        {
            causes.Add(new FieldCause("FieldValueRequired", "spec.maxExpirationSeconds", "spec.maxExpirationSeconds: Required value: must be set"));
            return causes;
        }
        if (lifetime < MinMaxExpirationSeconds || lifetime > maximum)
        {
            causes.Add(FieldCause.Invalid("spec.maxExpirationSeconds", $"Invalid value: {lifetime}: must be in the range [{MinMaxExpirationSeconds}, {maximum}]"));
        }
        causes.AddRange(KeyProblems(spec));
        return causes;
    }

    private static IEnumerable<FieldCause> KeyProblems(JsonObject spec) =>
        string.IsNullOrEmpty(spec.Str("stubPKCS10Request")) ? PkixKeyProblems(spec) : StubRequestProblems(spec);

    /// <summary>
    /// Kubernetes 1.36's replacement for pkixPublicKey and proofOfPossession: a DER PKCS#10 request whose own signature
    /// proves possession. Only types.go describes it here (the deprecated fields must then be empty, the key is of the
    /// same kinds); its upstream validation code was not at hand, so the wording of these refusals is this emulator's.
    /// </summary>
    private static IEnumerable<FieldCause> StubRequestProblems(JsonObject spec)
    {
        const string path = "spec.stubPKCS10Request";
        foreach (var deprecated in new[] { "pkixPublicKey", "proofOfPossession" })
        {
            if (!string.IsNullOrEmpty(spec.Str(deprecated)))
            {
                yield return FieldCause.Invalid($"spec.{deprecated}", $"Invalid value: \"<value omitted>\": must be empty when {path} is set");
            }
        }
        if (Bytes(spec, "stubPKCS10Request") is not { Length: <= MaxPkixPublicKeySize } der)
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"<value omitted>\": must be a base64 DER PKCS#10 request of at most {MaxPkixPublicKeySize} bytes");
            yield break;
        }
        if (StubRequestPublicKey(der) is not { } spki)
        {
            yield return FieldCause.Invalid(path, "Invalid value: \"<value omitted>\": must be a valid DER-encoded PKCS#10 certificate request signed by its subject key");
            yield break;
        }
        if (SubjectPublicKey.Parse(spki) is not { Problem: null })
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"<value omitted>\": {SubjectPublicKey.Parse(spki)?.Problem ?? "its subject public key must be a valid PKIX public key"}");
        }
    }

    /// <summary>The subject public key of a PKCS#10 request whose signature verifies with it, or null.</summary>
    private static byte[]? StubRequestPublicKey(byte[] der)
    {
        try
        {
            var request = new Org.BouncyCastle.Pkcs.Pkcs10CertificationRequest(der);
            return request.Verify() ? request.GetCertificationRequestInfo().SubjectPublicKeyInfo.GetDerEncoded() : null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException or InvalidCastException)
        {
            return null;
        }
    }

    /// <summary>The key the certificate must be issued to: the stub request's subject key, or pkixPublicKey.</summary>
    private static byte[] RequestedPublicKey(JsonObject spec) =>
        !string.IsNullOrEmpty(spec.Str("stubPKCS10Request")) && Bytes(spec, "stubPKCS10Request") is { } der
            ? StubRequestPublicKey(der) ?? []
            : Bytes(spec, "pkixPublicKey") ?? [];

    private static IEnumerable<FieldCause> PkixKeyProblems(JsonObject spec)
    {
        if (Bytes(spec, "pkixPublicKey") is not { } key)
        {
            return [FieldCause.Invalid("spec.pkixPublicKey", "Invalid value: \"<value omitted>\": must be base64 (a PKIX-serialized public key)")];
        }
        if (key.Length > MaxPkixPublicKeySize)
        {
            return [new FieldCause("FieldValueTooLong", "spec.pkixPublicKey", $"spec.pkixPublicKey: Too long: may not be more than {MaxPkixPublicKeySize} bytes")];
        }
        if (Bytes(spec, "proofOfPossession") is not { } proof)
        {
            return [FieldCause.Invalid("spec.proofOfPossession", "Invalid value: \"<value omitted>\": must be base64")];
        }
        if (proof.Length > MaxProofOfPossessionSize)
        {
            return [new FieldCause("FieldValueTooLong", "spec.proofOfPossession", $"spec.proofOfPossession: Too long: may not be more than {MaxProofOfPossessionSize} bytes")];
        }
        var podUid = Encoding.UTF8.GetBytes(spec.Str("podUID") ?? "");
        return SubjectPublicKey.Parse(key) switch
        {
            null => [FieldCause.Invalid("spec.pkixPublicKey", "Invalid value: \"<value omitted>\": must be a valid PKIX-serialized public key")],
            { Problem: { } problem } => [FieldCause.Invalid("spec.pkixPublicKey", $"Invalid value: \"<value omitted>\": {problem}")],
            var parsed when !parsed.Verifies(podUid, proof) =>
                [FieldCause.Invalid("spec.proofOfPossession", "Invalid value: \"<value omitted>\": could not verify proof-of-possession signature")],
            _ => [],
        };
    }

    private static List<FieldCause> ValidateStatusUpdate(JsonObject obj, JsonObject current, DateTimeOffset now)
    {
        var status = obj["status"] as JsonObject ?? [];
        var causes = ConditionProblems(status["conditions"] as JsonArray ?? []);
        if (causes.Count > 0)
        {
            return causes;
        }
        if (TerminalCondition(current) is not null)
        {
            return [FieldCause.Invalid("status", "Invalid value: \"<value omitted>\": immutable after PodCertificateRequest is issued, denied, or failed")];
        }
        switch (TerminalCondition(obj))
        {
            case "Denied" or "Failed":
                return status.Any(p => p.Key != "conditions" && p.Value is not null)
                    ? [FieldCause.Invalid("status", "Invalid value: \"<value omitted>\": non-condition status fields must be empty when denying or failing the PodCertificateRequest")]
                    : [];
            case "Issued":
                return IssuedProblems(obj, status, now);
            default:
                return [FieldCause.Invalid("status", "Invalid value: \"<value omitted>\": status is immutable unless transitioning to \"Issued\", \"Denied\", or \"Failed\"")];
        }
    }

    private static List<FieldCause> ConditionProblems(JsonArray conditions)
    {
        var causes = new List<FieldCause>();
        var terminal = 0;
        for (var i = 0; i < conditions.Count; i++)
        {
            var condition = conditions[i] as JsonObject ?? [];
            var path = $"status.conditions[{i}]";
            var type = condition.Str("type") ?? "";
            if (!TerminalConditions.Contains(type))
            {
                causes.Add(new FieldCause("FieldValueNotSupported", $"{path}.type", $"{path}.type: Unsupported value: \"{type}\": supported values: \"Issued\", \"Denied\", \"Failed\""));
                continue;
            }
            if (++terminal > 1)
            {
                causes.Add(FieldCause.Invalid($"{path}.type", $"Invalid value: \"{type}\": There may be at most one condition with type \"Issued\", \"Denied\", or \"Failed\""));
            }
            if (condition.Str("status") != "True")
            {
                causes.Add(new FieldCause("FieldValueNotSupported", $"{path}.status", $"{path}.status: Unsupported value: \"{condition.Str("status")}\": supported values: \"True\""));
            }
            // metav1 ValidateConditions: a CamelCase reason, a transition time, a bounded message.
            if (string.IsNullOrEmpty(condition.Str("reason")))
            {
                causes.Add(new FieldCause("FieldValueRequired", $"{path}.reason", $"{path}.reason: Required value"));
            }
            else if (!ConditionReason().IsMatch(condition.Str("reason")!) || condition.Str("reason")!.Length > 1024)
            {
                causes.Add(FieldCause.Invalid($"{path}.reason", $"Invalid value: \"{condition.Str("reason")}\": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'"));
            }
            if (Time(condition, "lastTransitionTime") is null)
            {
                causes.Add(new FieldCause("FieldValueRequired", $"{path}.lastTransitionTime", $"{path}.lastTransitionTime: Required value: must be set"));
            }
            if ((condition.Str("message") ?? "").Length > 32 * 1024)
            {
                causes.Add(new FieldCause("FieldValueTooLong", $"{path}.message", $"{path}.message: Too long: may not be more than 32768 bytes"));
            }
        }
        return causes;
    }

    private static List<FieldCause> IssuedProblems(JsonObject obj, JsonObject status, DateTimeOffset now)
    {
        const string chainPath = "status.certificateChain";
        var chain = status.Str("certificateChain") ?? "";
        if (chain.Length > MaxCertificateChainSize)
        {
            return [new FieldCause("FieldValueTooLong", chainPath, $"{chainPath}: Too long: may not be more than {MaxCertificateChainSize} bytes")];
        }
        var blocks = PemBlocks(chain);
        if (blocks.Count == 0)
        {
            return [FieldCause.Invalid(chainPath, "Invalid value: \"<value omitted>\": issued certificate chain must contain at least one certificate")];
        }
        if (blocks.Any(b => b.Label != "CERTIFICATE"))
        {
            return [FieldCause.Invalid(chainPath, "Invalid value: \"<value omitted>\": issued certificate chain must consist entirely of CERTIFICATE PEM blocks")];
        }
        using var leaf = LoadCertificate(blocks[0].Der);
        if (leaf is null)
        {
            return [FieldCause.Invalid(chainPath, "Invalid value: \"<value omitted>\": leaf certificate does not parse as valid X.509")];
        }
        var causes = DnsNameProblems(leaf);
        var requested = RequestedPublicKey(obj["spec"] as JsonObject ?? []);
        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(requested))
        {
            causes.Add(FieldCause.Invalid(chainPath, "Invalid value: \"<value omitted>\": leaf certificate was not issued to the requested public key"));
        }
        if (causes.Count > 0)
        {
            return causes;
        }

        var notBefore = Time(status, "notBefore");
        var notAfter = Time(status, "notAfter");
        var beginRefreshAt = Time(status, "beginRefreshAt");
        if (notBefore is null)
        {
            causes.Add(new FieldCause("FieldValueRequired", "status.notBefore", "status.notBefore: Required value: must be present and consistent with the issued certificate"));
        }
        if (notAfter is null)
        {
            causes.Add(new FieldCause("FieldValueRequired", "status.notAfter", "status.notAfter: Required value: must be present and consistent with the issued certificate"));
        }
        if (beginRefreshAt is null)
        {
            causes.Add(new FieldCause("FieldValueRequired", "status.beginRefreshAt", "status.beginRefreshAt: Required value: must be present and in the range [notbefore+10min, notafter-10min]"));
        }
        if (causes.Count > 0)
        {
            return causes;
        }
        var leafNotBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var leafNotAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        var lifetime = leafNotAfter - leafNotBefore;
        var maxLifetime = TimeSpan.FromSeconds(Json.Number(obj["spec"]?["maxExpirationSeconds"] ?? DefaultMaxExpirationSeconds));
        FieldCause? problem =
            notBefore != leafNotBefore ? FieldCause.Invalid("status.notBefore", $"Invalid value: \"{Json.Timestamp(notBefore!.Value)}\": must be set to the NotBefore time encoded in the leaf certificate")
            : (notBefore!.Value - now).Duration() >= TimeSpan.FromMinutes(5) ? FieldCause.Invalid("status.notBefore", $"Invalid value: \"{Json.Timestamp(notBefore.Value)}\": must be set to within 5 minutes of kube-apiserver's current time")
            : notAfter != leafNotAfter ? FieldCause.Invalid("status.notAfter", $"Invalid value: \"{Json.Timestamp(notAfter!.Value)}\": must be set to the NotAfter time encoded in the leaf certificate")
            : lifetime < TimeSpan.FromHours(1) ? FieldCause.Invalid(chainPath, $"Invalid value: \"{lifetime}\": leaf certificate lifetime must be >= 1 hour")
            : lifetime > maxLifetime ? FieldCause.Invalid(chainPath, $"Invalid value: \"{lifetime}\": leaf certificate lifetime must be <= spec.maxExpirationSeconds ({maxLifetime.TotalSeconds})")
            : beginRefreshAt < notBefore.Value.AddMinutes(10) ? FieldCause.Invalid("status.beginRefreshAt", $"Invalid value: \"{Json.Timestamp(beginRefreshAt!.Value)}\": must be at least 10 minutes after status.notBefore")
            : beginRefreshAt > notAfter!.Value.AddMinutes(-10) ? FieldCause.Invalid("status.beginRefreshAt", $"Invalid value: \"{Json.Timestamp(beginRefreshAt!.Value)}\": must be at least 10 minutes before status.notAfter")
            : null;
        if (problem is not null)
        {
            return [problem];
        }
        foreach (var block in blocks.Skip(1))
        {
            using var intermediate = LoadCertificate(block.Der);
            if (intermediate is null)
            {
                return [FieldCause.Invalid(chainPath, "Invalid value: \"<value omitted>\": intermediate certificate does not parse as valid X.509")];
            }
        }
        return [];
    }

    private static List<FieldCause> DnsNameProblems(X509Certificate2 leaf)
    {
        var causes = new List<FieldCause>();
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames());
        foreach (var name in names)
        {
            var problem = name.Length == 0 ? "leaf certificate should not contain empty DNSName"
                : name.Contains("..", StringComparison.Ordinal) ? "leaf certificate's DNSName should not contain '..'"
                : name.StartsWith('.') || name.EndsWith('.') ? "leaf certificate's DNSName should not start or end with '.'"
                : null;
            if (problem is not null)
            {
                causes.Add(FieldCause.Invalid("status.certificateChain", $"Invalid value: \"{name}\": {problem}"));
            }
        }
        return causes;
    }

    /// <summary>The Issued, Denied or Failed condition (with status True) the object is in, or null.</summary>
    private static string? TerminalCondition(JsonObject obj) =>
        (obj["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(c => TerminalConditions.Contains(c.Str("type")) && c.Str("status") == "True")?.Str("type");

    /// <summary>
    /// apivalidation.ValidateSignerName: <c>&lt;fully qualified domain&gt;/&lt;path&gt;</c>, the domain DNS labels with at least
    /// one dot, the path DNS labels separated by dots, the two together no longer than a DNS subdomain.
    /// </summary>
    private static IEnumerable<FieldCause> SignerNameProblems(string? signerName)
    {
        const string path = "spec.signerName";
        if (string.IsNullOrEmpty(signerName))
        {
            yield return FieldCause.Required(path);
            yield break;
        }
        var segments = signerName.Split('/');
        if (segments.Length != 2)
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"{signerName}\": must be a fully qualified domain and path of the form 'example.com/signer-name'");
            yield break;
        }
        var (domain, signerPath) = (segments[0], segments[1]);
        if (domain.Length > 253)
        {
            yield return new FieldCause("FieldValueTooLong", path, $"{path}: Too long: may not be more than 253 bytes");
        }
        var domainLabels = domain.Split('.');
        if (domainLabels.FirstOrDefault(l => !IsDnsLabel(l)) is { } badLabel)
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"{domain}\": validating label \"{badLabel}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
        }
        if (domainLabels.Length < 2)
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"{domain}\": should be a domain with at least two segments separated by dots");
        }
        if (signerPath.Split('.').FirstOrDefault(l => !IsDnsLabel(l)) is { } badPathLabel)
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"{signerPath}\": validating label \"{badPathLabel}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
        }
        if (signerPath.Length > 253 - domain.Length - 1)
        {
            yield return new FieldCause("FieldValueTooLong", path, $"{path}: Too long: may not be more than {Math.Max(0, 253 - domain.Length - 1)} bytes");
        }
    }

    private static bool IsKubernetesSigner(string signerName) =>
        signerName.StartsWith("kubernetes.io/", StringComparison.Ordinal) || signerName.Split('/')[0].EndsWith(".kubernetes.io", StringComparison.Ordinal);

    private static IEnumerable<FieldCause> NameProblems(string path, string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 253 || !DnsSubdomain().IsMatch(name))
        {
            yield return FieldCause.Invalid(path, $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        }
    }

    private static IEnumerable<FieldCause> UidProblems(string path, string? uid)
    {
        if (string.IsNullOrEmpty(uid))
        {
            yield return FieldCause.Invalid(path, "Invalid value: \"\": must not be empty");
        }
        else if (uid.Length > MaxUidLength)
        {
            yield return new FieldCause("FieldValueTooLong", path, $"{path}: Too long: may not be more than {MaxUidLength} bytes");
        }
    }

    /// <summary>Keys must be domain-prefixed qualified names (<c>example.com/key</c>); values are not checked.</summary>
    private static IEnumerable<FieldCause> UserAnnotationProblems(JsonNode? annotations)
    {
        foreach (var (key, _) in annotations as JsonObject ?? [])
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            var prefix = slash > 0 ? key[..slash] : "";
            var name = slash > 0 ? key[(slash + 1)..] : key;
            if (prefix.Length == 0 || prefix.Length > 253 || !DnsSubdomain().IsMatch(prefix) || name.Length is 0 or > 63 || !QualifiedNamePart().IsMatch(name))
            {
                yield return FieldCause.Invalid($"spec.unverifiedUserAnnotations", $"Invalid value: \"{key}\": keys must be domain-prefixed qualified names (e.g. 'example.com/MyName')");
            }
        }
    }

    private static byte[]? Bytes(JsonObject spec, string field)
    {
        try
        {
            return Convert.FromBase64String(spec.Str(field) ?? "");
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static DateTimeOffset? Time(JsonObject obj, string field) =>
        DateTimeOffset.TryParse(obj.Str(field), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static List<(string Label, byte[] Der)> PemBlocks(string text)
    {
        var blocks = new List<(string, byte[])>();
        var remaining = text.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            blocks.Add((remaining[fields.Label].ToString(), Convert.FromBase64String(remaining[fields.Base64Data].ToString())));
            remaining = remaining[fields.Location.End.Value..];
        }
        return blocks;
    }

    private static X509Certificate2? LoadCertificate(byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool IsDnsLabel(string text) => text.Length is > 0 and <= 63 && DnsLabel().IsMatch(text);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();

    [GeneratedRegex("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")]
    private static partial Regex ConditionReason();

    /// <summary>
    /// A PKIX SubjectPublicKeyInfo of a kind the API server accepts (RSA 3072/4096, ECDSA P-256/P-384/P-521, Ed25519),
    /// and the proof-of-possession check for it: the signature over the pod UID's bytes, as kubelet makes it with Go's
    /// crypto (RSASSA-PSS over SHA-256, ECDSA ASN.1 over SHA-256, Ed25519 over the bytes themselves).
    /// </summary>
    private sealed record SubjectPublicKey(string Algorithm, byte[] Spki, string? Problem)
    {
        private const string RsaOid = "1.2.840.113549.1.1.1";
        private const string EcOid = "1.2.840.10045.2.1";
        private const string Ed25519Oid = "1.3.101.112";

        public static SubjectPublicKey? Parse(byte[] spki)
        {
            PublicKey key;
            try
            {
                key = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out var read);
                if (read != spki.Length)
                {
                    return null;
                }
            }
            catch (CryptographicException)
            {
                return null;
            }
            try
            {
                switch (key.Oid.Value)
                {
                    case RsaOid:
                        using (var rsa = key.GetRSAPublicKey()!)
                        {
                            return new(RsaOid, spki, rsa.KeySize is 3072 or 4096 ? null : $"RSA keys must have modulus size 3072 or 4096 (got {rsa.KeySize}-bit modulus)");
                        }
                    case EcOid:
                        using (var ec = key.GetECDsaPublicKey()!)
                        {
                            var curve = ec.ExportParameters(false).Curve.Oid;
                            var supported = curve.Value is "1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35";
                            return new(EcOid, spki, supported ? null : $"elliptic public keys must use curve P256 or P384 (got curve {curve.FriendlyName ?? curve.Value})");
                        }
                    case Ed25519Oid:
                        return key.EncodedKeyValue.RawData.Length == 32 ? new(Ed25519Oid, spki, null) : null;
                    default:
                        return new(key.Oid.Value ?? "", spki, "unknown public key type; supported types are Ed25519, ECDSA, and RSA");
                }
            }
            catch (CryptographicException)
            {
                return null;
            }
        }

        public bool Verifies(byte[] message, byte[] signature)
        {
            try
            {
                switch (Algorithm)
                {
                    case EcOid:
                        using (var ec = ECDsa.Create())
                        {
                            ec.ImportSubjectPublicKeyInfo(Spki, out _);
                            return ec.VerifyHash(SHA256.HashData(message), signature, DSASignatureFormat.Rfc3279DerSequence);
                        }
                    case RsaOid:
                        return VerifiesPss(message, signature);
                    default:
                        var verifier = new Ed25519Signer();
                        verifier.Init(false, new Ed25519PublicKeyParameters(PublicKey.CreateFromSubjectPublicKeyInfo(Spki, out _).EncodedKeyValue.RawData));
                        verifier.BlockUpdate(message, 0, message.Length);
                        return verifier.VerifySignature(signature);
                }
            }
            catch (CryptographicException)
            {
                return false;
            }
        }

        /// <summary>
        /// Go's rsa.VerifyPSS with nil options accepts any salt length; kubelet signs with the longest (Go's default),
        /// .NET and most other libraries with the hash's length. Both are accepted here.
        /// </summary>
        private bool VerifiesPss(byte[] message, byte[] signature)
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(Spki, out _);
            var parameters = rsa.ExportParameters(false);
            var publicKey = new RsaKeyParameters(false, new BigInteger(1, parameters.Modulus), new BigInteger(1, parameters.Exponent));
            var longestSalt = (rsa.KeySize + 7) / 8 - 32 - 2;
            foreach (var saltLength in new[] { 32, longestSalt })
            {
                var signer = new PssSigner(new RsaEngine(), new Sha256Digest(), saltLength);
                signer.Init(false, publicKey);
                signer.BlockUpdate(message, 0, message.Length);
                if (signer.VerifySignature(signature))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
