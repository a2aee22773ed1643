using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Runtime;

namespace Sigil.Reconciliation;

/// <summary>
/// Loads the CA at start. By default Secret sigil-ca in the operator's namespace: created with a new root
/// the first time, and loaded, never regenerated, whenever it exists (every later start, every replica;
/// a replica that loses the creation race loads the winner's). With --ca-secret, that Secret must exist.
/// </summary>
internal sealed class CertificateAuthorityLoader(IKubernetes client, TimeProvider time, ILogger logger)
{
    public const string DefaultSecretName = "sigil-ca";

    public async Task<CertificateAuthority> LoadAsync(string ns, string? caSecret, string trustDomain, CancellationToken ct)
    {
        var name = caSecret ?? DefaultSecretName;
        var existing = await client.ReadSecretOrNullAsync(ns, name, ct);
        if (existing is not null)
        {
            return Load(existing, ns, name);
        }
        if (caSecret is not null)
        {
            throw new InvalidOperationException($"--ca-secret names Secret {ns}/{caSecret}, which does not exist: create it with tls.crt and tls.key");
        }
        var created = CertificateAuthority.CreateRoot(trustDomain, time);
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [Labels.ManagedBy] = Labels.ManagedByValue },
            },
            Type = "kubernetes.io/tls",
            Data = new Dictionary<string, byte[]>
            {
                ["tls.crt"] = Encoding.ASCII.GetBytes(created.CertificatesPem),
                ["tls.key"] = Encoding.ASCII.GetBytes(created.PrivateKeyPem),
                ["ca.crt"] = Encoding.ASCII.GetBytes(created.TrustBundlePem),
            },
        };
        try
        {
            await client.CoreV1.CreateNamespacedSecretAsync(secret, ns, cancellationToken: ct);
            logger.LogInformation("Created a new root CA in Secret {Namespace}/{Secret}, fingerprint {Fingerprint}", ns, name, created.Signer.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
            return created;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            created.Dispose();
            logger.LogInformation("Another replica created the CA Secret {Namespace}/{Secret} first; loading it", ns, name);
            return Load((await client.ReadSecretOrNullAsync(ns, name, ct))!, ns, name);
        }
    }

    private CertificateAuthority Load(V1Secret secret, string ns, string name)
    {
        if (secret.Data is null || !secret.Data.TryGetValue("tls.crt", out var crt) || !secret.Data.TryGetValue("tls.key", out var key))
        {
            throw new InvalidOperationException($"CA Secret {ns}/{name} must hold tls.crt and tls.key");
        }
        var ca = CertificateAuthority.FromPem(Encoding.ASCII.GetString(crt), Encoding.ASCII.GetString(key));
        logger.LogInformation("Loaded the CA from Secret {Namespace}/{Secret}: {Subject}, expires {NotAfter}", ns, name, ca.Signer.Subject, ca.NotAfter);
        return ca;
    }
}
