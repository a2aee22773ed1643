using System.Net;
using System.Reflection;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sigil.Operator;

/// <summary>What a fresh cluster needs before the operator runs (what `helm install` does on a real one): the CRDs and the operator's namespace.</summary>
internal static class LocalSetup
{
    public static async Task InstallAsync(IKubernetes client, string operatorNamespace, CancellationToken ct)
    {
        foreach (var crd in Crds())
        {
            try
            {
                await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                var existing = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: ct);
                crd.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
                await client.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, crd.Metadata.Name, cancellationToken: ct);
            }
        }
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = operatorNamespace } }, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>The CRDs from crds/, embedded in the program so `sigil local` needs no checkout.</summary>
    public static IEnumerable<V1CustomResourceDefinition> Crds()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return KubernetesYaml.Deserialize<V1CustomResourceDefinition>(reader.ReadToEnd());
        }
    }
}
