using System.Text;

namespace Sigil.LocalControlPlane.Hosting;

/// <summary>The kubeconfig a client needs to reach the local control plane: server, CA and bearer token.</summary>
internal static class Kubeconfig
{
    public const string ContextName = "sigil-local";

    public static string Render(Uri server, string caPem, string token, string user = "admin") => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {ContextName}
          cluster:
            server: {server.ToString().TrimEnd('/')}
            certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))}
        users:
        - name: {user}
          user:
            token: {token}
        contexts:
        - name: {ContextName}
          context:
            cluster: {ContextName}
            user: {user}
            namespace: default
        current-context: {ContextName}

        """;
}
