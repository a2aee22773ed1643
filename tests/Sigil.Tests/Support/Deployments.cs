using k8s.Models;

namespace Sigil.Tests.Support;

internal static class Deployments
{
    public static V1Deployment New(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container { Name = "app", Image = "nginx:1.27", Env = [new V1EnvVar { Name = "A", Value = "1" }] },
                        new V1Container { Name = "sidecar", Image = "busybox:1.36" },
                    ],
                },
            },
        },
    };
}
